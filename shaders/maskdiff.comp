#version 450
// Mask-weighted absolute difference averaged over channels:
// out[n,y,x] = mask[n,y,x] * mean_c |a[n,c,y,x] - b[n,c,y,x]|.
layout(local_size_x = 256, local_size_y = 1, local_size_z = 1) in;

layout(std430, binding = 0) writeonly buffer Out { float o[]; };
layout(std430, binding = 1) readonly buffer A { float a[]; };
layout(std430, binding = 2) readonly buffer B { float b[]; };
layout(std430, binding = 3) readonly buffer M { float m[]; };

layout(push_constant) uniform P { uint plane, channels, N; } p;

void main() {
    uint i = gl_GlobalInvocationID.x, n = gl_GlobalInvocationID.y;
    if (i >= p.plane || n >= p.N) return;
    float s = 0.0;
    for (uint c = 0; c < p.channels; c++) {
        uint k = (n * p.channels + c) * p.plane + i;
        s += abs(a[k] - b[k]);
    }
    o[n * p.plane + i] = m[n * p.plane + i] * (s / float(p.channels));
}
