#version 450
// Per-step partial sums for IEM over one batch of B steps of P pairs. With
// e_i = x_i - D(y_i): (e1-e2)^2, e1^2 - e2^2 and (e1-e2) dw, each summed over
// the elements a workgroup covers. Workgroup row r = pair * B + step; output
// layout [r][quantity][group], so a row-sum pass over groups gives 3PB scalars.
// Images that start on a vec4 (numel a multiple of 4) are read a vec4 at a
// time: a CPU driver loads a storage buffer lane by lane.
#ifdef SUBGROUP_SUM
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif
layout(local_size_x = 256) in;

layout(std430, binding = 0) writeonly buffer Out { float o[]; };
#ifdef TEXEL4
// TEXEL4 (numel a multiple of 4 only): the inputs as uniform texel buffers
// of rgba32f, whose fetches a CPU driver runs as vector code for all SIMD
// lanes; the host picks it where the buffers fit texel views.
layout(binding = 1) uniform samplerBuffer x1T;
layout(binding = 2) uniform samplerBuffer x2T;
layout(binding = 3) uniform samplerBuffer denT;
layout(binding = 4) uniform samplerBuffer dwT;
#define X14(i) texelFetch(x1T, int(i))
#define X24(i) texelFetch(x2T, int(i))
#define DEN4(i) texelFetch(denT, int(i))
#define DW4(i) texelFetch(dwT, int(i))
#else
layout(std430, binding = 1) readonly buffer X1 { float x1[]; };
layout(std430, binding = 1) readonly buffer X14 { vec4 x14[]; };
layout(std430, binding = 2) readonly buffer X2 { float x2[]; };
layout(std430, binding = 2) readonly buffer X24 { vec4 x24[]; };
layout(std430, binding = 3) readonly buffer D { float den[]; };   // 2PB images: [pair][x1, x2][step]
layout(std430, binding = 3) readonly buffer D4 { vec4 den4[]; };
layout(std430, binding = 4) readonly buffer DW { float dw[]; };   // B x numel
layout(std430, binding = 4) readonly buffer DW4 { vec4 dw4[]; };
#define X14(i) x14[i]
#define X24(i) x24[i]
#define DEN4(i) den4[i]
#define DW4(i) dw4[i]
#endif

layout(push_constant) uniform P { uint numel, B; } p;

shared vec3 part[256];

void main() {
    uint row = gl_WorkGroupID.y, q = row / p.B, b = row % p.B;
    uint groups = gl_NumWorkGroups.x, t = gl_LocalInvocationID.x;
    uint start = gl_WorkGroupID.x * 256u + t, stride = groups * 256u;
    vec3 s = vec3(0.0);
    if ((p.numel & 3u) == 0u) {
        uint n = p.numel >> 2;
        for (uint e = start; e < n; e += stride) {
            vec4 e1 = X14(q * n + e) - DEN4(((2u * q) * p.B + b) * n + e);
            vec4 e2 = X24(q * n + e) - DEN4(((2u * q + 1u) * p.B + b) * n + e);
            vec4 d = e1 - e2;
            s += vec3(dot(d, d), dot(d, e1 + e2), dot(d, DW4(b * n + e)));
        }
    }
#ifndef TEXEL4
    else {
        for (uint e = start; e < p.numel; e += stride) {
            float e1 = x1[q * p.numel + e] - den[((2u * q) * p.B + b) * p.numel + e];
            float e2 = x2[q * p.numel + e] - den[((2u * q + 1u) * p.B + b) * p.numel + e];
            float d = e1 - e2;
            s += vec3(d * d, d * (e1 + e2), d * dw[b * p.numel + e]);
        }
    }
#endif
#ifdef SUBGROUP_SUM
    // One barrier instead of eight (llvmpipe suspends and resumes every SIMD
    // chunk of a workgroup at each barrier).
    s = subgroupAdd(s);
    if (subgroupElect()) part[gl_SubgroupID] = s;
    barrier();
    if (t == 0u) {
        // From part[0]: invocation 0 need not be in subgroup 0.
        s = part[0];
        for (uint g = 1; g < gl_NumSubgroups; g++) s += part[g];
#else
    part[t] = s;
    barrier();
    for (uint w = 128u; w > 0u; w >>= 1) {
        if (t < w) part[t] += part[t + w];
        barrier();
    }
    if (t == 0u) {
        s = part[0];
#endif
        o[(row * 3u + 0u) * groups + gl_WorkGroupID.x] = s.x;
        o[(row * 3u + 1u) * groups + gl_WorkGroupID.x] = s.y;
        o[(row * 3u + 2u) * groups + gl_WorkGroupID.x] = s.z;
    }
}
