#version 450
// Bilinear 2x upsampling with align_corners=True, from inW x inH to
// 2inW x 2inH, then replicate padding of the last row/column up to the output
// size (MILO pads by one where the finer level has an odd size). Output rows
// [y0, y0+rows) go through the view vo (one channel per plane).
layout(local_size_x = 16, local_size_y = 16, local_size_z = 1) in;

layout(std430, binding = 0) writeonly buffer Out { float o[]; };
layout(std430, binding = 1) readonly buffer In { float i[]; };

#include "bilinear.glsl"
#include "view.glsl"

layout(push_constant) uniform P { uint inW, inH, outW, planes; float scaleX, scaleY; uint y0, rows; View vo; } p;

void main() {
    uint x = gl_GlobalInvocationID.x, ry = gl_GlobalInvocationID.y, c = gl_GlobalInvocationID.z;
    if (x >= p.outW || ry >= p.rows || c >= p.planes) return;
    uint y = p.y0 + ry;
    uint x0, x1, y0, y1;
    float fx, fy;
    upCoord(x, p.inW, p.scaleX, x0, x1, fx);
    upCoord(y, p.inH, p.scaleY, y0, y1, fy);
    uint base = c * p.inW * p.inH;
    precise float top = (1.0 - fx) * i[base + y0 * p.inW + x0] + fx * i[base + y0 * p.inW + x1];
    precise float bot = (1.0 - fx) * i[base + y1 * p.inW + x0] + fx * i[base + y1 * p.inW + x1];
    precise float v = (1.0 - fy) * top + fy * bot;
    o[at(p.vo, c, 0u, y, p.outW) + x] = v;
}
