#version 450
// Sum of each of `planes` rows of length len, in two passes: every workgroup
// writes one partial sum per row; a second dispatch over the partials (with
// scale = 1/count) gives the mean. Per-invocation strided sums, then a tree.
layout(local_size_x = 256, local_size_y = 1, local_size_z = 1) in;

layout(std430, binding = 0) writeonly buffer Out { float o[]; };
layout(std430, binding = 1) readonly buffer In { float v[]; };

layout(push_constant) uniform P { uint len, planes; float scale; } p;

shared float part[256];

void main() {
    uint row = gl_WorkGroupID.y;
    uint groups = gl_NumWorkGroups.x;
    uint t = gl_LocalInvocationID.x;
    float s = 0.0;
    for (uint i = gl_WorkGroupID.x * 256u + t; i < p.len; i += groups * 256u) s += v[row * p.len + i];
    part[t] = s;
    barrier();
    for (uint w = 128u; w > 0u; w >>= 1) {
        if (t < w) part[t] += part[t + w];
        barrier();
    }
    if (t == 0u) o[row * groups + gl_WorkGroupID.x] = part[0] * p.scale;
}
