#version 450
// Bilinear 2x upsampling with align_corners=True, from inW x inH to
// 2inW x 2inH, then replicate padding of the last row/column up to outW x outH
// (MILO pads by one where the finer level has an odd size).
layout(local_size_x = 16, local_size_y = 16, local_size_z = 1) in;

layout(std430, binding = 0) writeonly buffer Out { float o[]; };
layout(std430, binding = 1) readonly buffer In { float i[]; };

layout(push_constant) uniform P { uint inW, inH, outW, outH, planes; } p;

// Source coordinate and weight, computed in float as PyTorch does.
void coord(uint d, uint inN, out uint i0, out uint i1, out float f) {
    uint upN = 2u * inN;
    d = min(d, upN - 1u);
    float scale = inN > 1u ? float(inN - 1u) / float(upN - 1u) : 0.0;
    float s = scale * float(d);
    i0 = min(uint(s), inN - 1u);
    i1 = min(i0 + 1u, inN - 1u);
    f = s - float(i0);
}

void main() {
    uint x = gl_GlobalInvocationID.x, y = gl_GlobalInvocationID.y, c = gl_GlobalInvocationID.z;
    if (x >= p.outW || y >= p.outH || c >= p.planes) return;
    uint x0, x1, y0, y1;
    float fx, fy;
    coord(x, p.inW, x0, x1, fx);
    coord(y, p.inH, y0, y1, fy);
    uint base = c * p.inW * p.inH;
    float top = (1.0 - fx) * i[base + y0 * p.inW + x0] + fx * i[base + y0 * p.inW + x1];
    float bot = (1.0 - fx) * i[base + y1 * p.inW + x0] + fx * i[base + y1 * p.inW + x1];
    o[c * p.outW * p.outH + y * p.outW + x] = (1.0 - fy) * top + fy * bot;
}
