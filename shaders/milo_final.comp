#version 450
// MILO's scalars per image from milo_tail's partial sums: score = mean q,
// loss = mean d, MOS = 5 (1 - S(loss)); out[3n .. 3n+2]. One workgroup per image.
#include "common.glsl"

layout(local_size_x = 256, local_size_y = 1, local_size_z = 1) in;
layout(constant_id = 0) const uint HID = 32;

layout(std430, binding = 0) writeonly buffer Out { float o[]; };
layout(std430, binding = 1) readonly buffer Wt { float wt[]; };
#define WT(i) wt[i]
layout(std430, binding = 2) readonly buffer Parts { float parts[]; };

#include "scaler.glsl"

layout(push_constant) uniform P { uint nparts; float invPlane; uint table; } p;

shared vec2 part[256];

void main() {
    uint t = gl_LocalInvocationID.x, n = gl_WorkGroupID.x;
    vec2 s = vec2(0.0);
    for (uint i = t; i < p.nparts; i += 256u) {
        uint k = 2u * (n * p.nparts + i);
        s += vec2(parts[k], parts[k + 1u]);
    }
    part[t] = s;
    barrier();
    for (uint w = 128u; w > 0u; w >>= 1) {
        if (t < w) part[t] += part[t + w];
        barrier();
    }
    if (t == 0u) {
        float loss = part[0].x * p.invPlane;
        o[3u * n] = part[0].y * p.invPlane;
        o[3u * n + 1u] = loss;
        o[3u * n + 2u] = 5.0 * (1.0 - scalerS(p.table, loss));
    }
}
