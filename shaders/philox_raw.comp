#version 450
// Raw Philox4x32-10 blocks for counters (first + i, c1, c2, c3): lets the
// tests check that the device and the Go generator give identical bits.
#include "philox.glsl"
layout(local_size_x = 64) in;
layout(std430, binding = 0) writeonly buffer Out { uint o[]; };
layout(push_constant) uniform P { uint count, first, c1, c2, c3, k0, k1; } p;
void main() {
    uint i = gl_GlobalInvocationID.x;
    if (i >= p.count) return;
    uvec4 w = philox4x32(uvec4(p.first + i, p.c1, p.c2, p.c3), uvec2(p.k0, p.k1));
    o[4u * i] = w.x; o[4u * i + 1u] = w.y; o[4u * i + 2u] = w.z; o[4u * i + 3u] = w.w;
}
