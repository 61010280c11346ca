#version 450
// 2x2 average pooling, stride 2, floor: the odd last row/column is dropped.
// Output rows [y0, y0+rows); both tensors are views (view.glsl).
// TEXEL4: each invocation pools 4 outputs from two 128-bit texels of each of
// its two input rows (a uniform texel buffer of rgba32f) and stores them as
// one vec4: on llvmpipe a texel fetch is vector code for all SIMD lanes, a
// storage-buffer load or store a loop over the lanes. The host picks it
// where every input and output row starts on a multiple of 4 elements and
// the output rows are whole vec4s.
#include "view.glsl"

layout(local_size_x = 16, local_size_y = 16, local_size_z = 1) in;

#ifdef TEXEL4
layout(std430, binding = 0) writeonly buffer Out { vec4 o4[]; };
layout(binding = 1) uniform samplerBuffer it;
#else
layout(std430, binding = 0) writeonly buffer Out { float o[]; };
layout(std430, binding = 1) readonly buffer In { float i[]; };
#endif

layout(push_constant) uniform P { uint inW, outW, y0, rows, C, N; View vi, vo; } p;

void main() {
    uint x = gl_GlobalInvocationID.x, ry = gl_GlobalInvocationID.y, z = gl_GlobalInvocationID.z;
#ifdef TEXEL4
    if (4u * x >= p.outW || ry >= p.rows || z >= p.N * p.C) return;
#else
    if (x >= p.outW || ry >= p.rows || z >= p.N * p.C) return;
#endif
    uint n = z / p.C, c = z % p.C, y = p.y0 + ry;
#ifdef TEXEL4
    int s0 = int(at(p.vi, n, c, 2u * y, p.inW) / 4u + 2u * x);
    int s1 = int(at(p.vi, n, c, 2u * y + 1u, p.inW) / 4u + 2u * x);
    vec4 a0 = texelFetch(it, s0), a1 = texelFetch(it, s0 + 1), b0 = texelFetch(it, s1), b1 = texelFetch(it, s1 + 1);
    // The scalar form's order of sums: (row 0's pair) + (row 1's pair).
    vec4 v = (vec4(a0.xz, a1.xz) + vec4(a0.yw, a1.yw)) + (vec4(b0.xz, b1.xz) + vec4(b0.yw, b1.yw));
    o4[at(p.vo, n, c, y, p.outW) / 4u + x] = v * 0.25;
#else
    uint s0 = at(p.vi, n, c, 2u * y, p.inW) + 2u * x;
    uint s1 = at(p.vi, n, c, 2u * y + 1u, p.inW) + 2u * x;
    float v = (i[s0] + i[s0 + 1u]) + (i[s1] + i[s1 + 1u]);
    o[at(p.vo, n, c, y, p.outW) + x] = v * 0.25;
#endif
}
