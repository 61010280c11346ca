#version 450
// Per-step partial sums for IEM over one batch of B steps of P pairs. With
// e_i = x_i - D(y_i): (e1-e2)^2, e1^2 - e2^2 and (e1-e2) dw, each summed over
// the elements a workgroup covers. Workgroup row r = pair * B + step; output
// layout [r][quantity][group], so a row-sum pass over groups gives 3PB scalars.
layout(local_size_x = 256) in;

layout(std430, binding = 0) writeonly buffer Out { float o[]; };
layout(std430, binding = 1) readonly buffer X1 { float x1[]; };
layout(std430, binding = 2) readonly buffer X2 { float x2[]; };
layout(std430, binding = 3) readonly buffer D { float den[]; };   // 2PB images: [pair][x1, x2][step]
layout(std430, binding = 4) readonly buffer DW { float dw[]; };   // B x numel

layout(push_constant) uniform P { uint numel, B; } p;

shared vec3 part[256];

void main() {
    uint row = gl_WorkGroupID.y, q = row / p.B, b = row % p.B;
    uint groups = gl_NumWorkGroups.x, t = gl_LocalInvocationID.x;
    vec3 s = vec3(0.0);
    for (uint e = gl_WorkGroupID.x * 256u + t; e < p.numel; e += groups * 256u) {
        float e1 = x1[q * p.numel + e] - den[((2u * q) * p.B + b) * p.numel + e];
        float e2 = x2[q * p.numel + e] - den[((2u * q + 1u) * p.B + b) * p.numel + e];
        float d = e1 - e2;
        s += vec3(d * d, (e1 - e2) * (e1 + e2), d * dw[b * p.numel + e]);
    }
    part[t] = s;
    barrier();
    for (uint w = 128u; w > 0u; w >>= 1) {
        if (t < w) part[t] += part[t + w];
        barrier();
    }
    if (t == 0u) {
        o[(row * 3u + 0u) * groups + gl_WorkGroupID.x] = part[0].x;
        o[(row * 3u + 1u) * groups + gl_WorkGroupID.x] = part[0].y;
        o[(row * 3u + 2u) * groups + gl_WorkGroupID.x] = part[0].z;
    }
}
