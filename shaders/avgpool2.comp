#version 450
// 2x2 average pooling, stride 2, floor: the odd last row/column is dropped.
// Output rows [y0, y0+rows); both tensors are views (view.glsl).
#include "view.glsl"

layout(local_size_x = 16, local_size_y = 16, local_size_z = 1) in;

layout(std430, binding = 0) writeonly buffer Out { float o[]; };
layout(std430, binding = 1) readonly buffer In { float i[]; };

layout(push_constant) uniform P { uint inW, outW, y0, rows, C, N; View vi, vo; } p;

void main() {
    uint x = gl_GlobalInvocationID.x, ry = gl_GlobalInvocationID.y, z = gl_GlobalInvocationID.z;
    if (x >= p.outW || ry >= p.rows || z >= p.N * p.C) return;
    uint n = z / p.C, c = z % p.C, y = p.y0 + ry;
    uint s0 = at(p.vi, n, c, 2u * y, p.inW) + 2u * x;
    uint s1 = at(p.vi, n, c, 2u * y + 1u, p.inW) + 2u * x;
    float v = (i[s0] + i[s0 + 1u]) + (i[s1] + i[s1 + 1u]);
    o[at(p.vo, n, c, y, p.outW) + x] = v * 0.25;
}
