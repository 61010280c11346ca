#version 450
// The coarsest level of the pyramid Wiener denoiser: R = m_c + g (G - m_c),
// with the band's Wiener gain g = P / (P + N s^2) for image j's noise std
// s = sig[sigOff + j % period]. Planes are (image, channel) pairs.
layout(local_size_x = 256) in;

layout(std430, binding = 0) writeonly buffer Out { float o[]; };
layout(std430, binding = 1) readonly buffer G { float g[]; };
layout(std430, binding = 2) readonly buffer Sig { float sig[]; };

layout(push_constant) uniform P {
    uint plane, planes, C, sigOff, period;
    float bandP, bandN;
    uint pad;
    vec4 mean;
} p;

void main() {
    uint i = gl_GlobalInvocationID.x, pl = gl_GlobalInvocationID.y;
    if (i >= p.plane || pl >= p.planes) return;
    float s = sig[p.sigOff + (pl / p.C) % p.period];
    float gain = p.bandP / (p.bandP + p.bandN * s * s);
    float m = p.mean[pl % p.C];
    o[pl * p.plane + i] = m + gain * (g[pl * p.plane + i] - m);
}
