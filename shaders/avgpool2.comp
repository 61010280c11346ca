#version 450
// 2x2 average pooling, stride 2, floor: the odd last row/column is dropped.
layout(local_size_x = 16, local_size_y = 16, local_size_z = 1) in;

layout(std430, binding = 0) writeonly buffer Out { float o[]; };
layout(std430, binding = 1) readonly buffer In { float i[]; };

layout(push_constant) uniform P { uint inW, inH, outW, outH, planes; } p;

void main() {
    uint x = gl_GlobalInvocationID.x, y = gl_GlobalInvocationID.y, c = gl_GlobalInvocationID.z;
    if (x >= p.outW || y >= p.outH || c >= p.planes) return;
    uint s = c * p.inW * p.inH + 2u * y * p.inW + 2u * x;
    float v = (i[s] + i[s + 1u]) + (i[s + p.inW] + i[s + p.inW + 1u]);
    o[c * p.outW * p.outH + y * p.outW + x] = v * 0.25;
}
