#version 450
// MILO's per-pixel end for image rows [y0, y0+rows) of the finest level:
// d = mask * mean_c |ref - dist| and the quality map q = S(d) - S(0), written
// out only when maps are wanted, plus one partial sum of d and of q per
// workgroup at parts[2*(n*nparts + pbase + group)], so that a tiled pass
// needs no full-size map to reduce.
#include "common.glsl"
#ifdef SUBGROUP_SUM
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif
#include "view.glsl"

layout(local_size_x = 256, local_size_y = 1, local_size_z = 1) in;
layout(constant_id = 0) const uint HID = 32;

layout(std430, binding = 0) writeonly buffer D { float od[]; };
layout(std430, binding = 1) writeonly buffer Q { float oq[]; };
layout(std430, binding = 2) writeonly buffer Parts { float parts[]; };
// The scaler's table as a uniform buffer: its bends and output weights are
// read at addresses built from constants and push constants only, which
// llvmpipe loads once for all lanes (a storage-buffer load is a scalar load
// per lane).
layout(std140, binding = 3) uniform Wt { vec4 wt4[4096]; };
#define WT(i) wt4[(i) >> 2][(i) & 3u]
layout(std430, binding = 4) readonly buffer Ref { float ra[]; };
layout(std430, binding = 5) readonly buffer Dist { float rb[]; };
layout(std430, binding = 6) readonly buffer M { float m[]; };

#include "scaler.glsl"

layout(push_constant) uniform P {
    uint W, y0, rows, C, N, maps, nparts, pbase;
    float sub;
    uint table;
    View vr, vd, vm, vod, voq;
} p;

shared vec2 part[256];

void main() {
    uint t = gl_LocalInvocationID.x, i = gl_GlobalInvocationID.x, n = gl_WorkGroupID.y;
    vec2 s = vec2(0.0);
    if (i < p.rows * p.W) {
        uint y = p.y0 + i / p.W, x = i % p.W;
        float ad = 0.0;
        for (uint c = 0; c < p.C; c++) ad += abs(ra[at(p.vr, n, c, y, p.W) + x] - rb[at(p.vd, n, c, y, p.W) + x]);
        float d = m[at(p.vm, n, 0u, y, p.W) + x] * (ad / float(p.C));
        float q = scalerS(p.table, d) - p.sub;
        if (p.maps != 0u) {
            od[at(p.vod, n, 0u, y, p.W) + x] = d;
            oq[at(p.voq, n, 0u, y, p.W) + x] = q;
        }
        s = vec2(d, q);
    }
#ifdef SUBGROUP_SUM
    // One barrier: each subgroup sums its lanes, then invocation 0 the
    // subgroups' sums (llvmpipe suspends and resumes every SIMD chunk of the
    // workgroup at each barrier: the tail 1.7-1.8x faster than the tree).
    s = subgroupAdd(s);
    if (subgroupElect()) part[gl_SubgroupID] = s;
    barrier();
    if (t == 0u) {
        // From part[0]: invocation 0 need not be in subgroup 0.
        vec2 sum = part[0];
        for (uint g = 1; g < gl_NumSubgroups; g++) sum += part[g];
        uint k = 2u * (n * p.nparts + p.pbase + gl_WorkGroupID.x);
        parts[k] = sum.x;
        parts[k + 1u] = sum.y;
    }
#else
    part[t] = s;
    barrier();
    for (uint w = 128u; w > 0u; w >>= 1) {
        if (t < w) part[t] += part[t + w];
        barrier();
    }
    if (t == 0u) {
        uint k = 2u * (n * p.nparts + p.pbase + gl_WorkGroupID.x);
        parts[k] = part[0].x;
        parts[k + 1u] = part[0].y;
    }
#endif
}
