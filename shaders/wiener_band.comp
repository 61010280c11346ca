#version 450
// One finer level of the pyramid Wiener denoiser:
// R_b = g_b (G_b - up(G_{b+1})) + up(R_{b+1}), the Laplacian band scaled by
// its Wiener gain g_b = P_b / (P_b + N_b s^2) plus the denoised coarser level.
//
// Where both levels' rows start on a vec4 (wide), an invocation computes four
// neighbouring outputs of a row: their bilinear taps lie in a window of at
// most seven inputs from the vec4 holding the first, so two vec4 loads a row
// and level serve all 32 taps, and the band and the result move as one vec4
// (a CPU driver loads a storage buffer lane by lane: 10 loads and stores for
// four outputs where the scalar form makes 40). The sums are the scalar
// form's, in its order, so both give the same bits.
#extension GL_EXT_control_flow_attributes : require
#include "bilinear.glsl"
layout(local_size_x = 16, local_size_y = 16) in;

#ifdef TEXEL4
// TEXEL4 (wide only): the band and both coarser levels as uniform texel
// buffers of rgba32f, whose fetches a CPU driver runs as vector code for
// all SIMD lanes; the host picks it where the buffers fit texel views.
layout(std430, binding = 0) writeonly buffer Out4 { vec4 o4[]; };
layout(binding = 1) uniform samplerBuffer gbT;
layout(binding = 2) uniform samplerBuffer gcT;
layout(binding = 3) uniform samplerBuffer rcT;
#define GB4(i) texelFetch(gbT, int(i))
#define GC4(i) texelFetch(gcT, int(i))
#define RC4(i) texelFetch(rcT, int(i))
#else
layout(std430, binding = 0) writeonly buffer Out { float o[]; };
layout(std430, binding = 0) writeonly buffer Out4 { vec4 o4[]; };
layout(std430, binding = 1) readonly buffer GB { float gb[]; };    // outW x outH planes
layout(std430, binding = 1) readonly buffer GB4 { vec4 gb4[]; };
layout(std430, binding = 2) readonly buffer GC { float gc[]; };    // inW x inH planes
layout(std430, binding = 2) readonly buffer GC4 { vec4 gc4[]; };
layout(std430, binding = 3) readonly buffer RC { float rc[]; };    // inW x inH planes
layout(std430, binding = 3) readonly buffer RC4 { vec4 rc4[]; };
#define GB4(i) gb4[i]
#define GC4(i) gc4[i]
#define RC4(i) rc4[i]
#endif
layout(std430, binding = 4) readonly buffer Sig { float sig[]; };

layout(push_constant) uniform P {
    uint inW, inH, outW, outH, planes, C, sigOff, period;
    float bandP, bandN, scaleX, scaleY;
    uint wide;
} p;

// Element i (0..7) of the window a, b; selects, not an indexed array (which a
// CPU driver gathers lane by lane).
float pick(vec4 a, vec4 b, uint i) {
    vec4 v = i < 4u ? a : b;
    uint k = i & 3u;
    return k == 0u ? v.x : (k == 1u ? v.y : (k == 2u ? v.z : v.w));
}

float bilerp(float fx, float fy, float t00, float t01, float t10, float t11) {
    precise float v = (1.0 - fy) * ((1.0 - fx) * t00 + fx * t01) + fy * ((1.0 - fx) * t10 + fx * t11);
    return v;
}

void main() {
    uint x = gl_GlobalInvocationID.x, y = gl_GlobalInvocationID.y, pl = gl_GlobalInvocationID.z;
    if (p.wide != 0u) x *= 4u;
    if (x >= p.outW || y >= p.outH || pl >= p.planes) return;
    float s = sig[p.sigOff + (pl / p.C) % p.period];
    float gain = p.bandP / (p.bandP + p.bandN * s * s);
    uint x0, x1, y0, y1;
    float fx, fy;
    upCoord(y, p.inH, p.scaleY, y0, y1, fy);
    uint b = pl * p.inW * p.inH;
    uint oi = pl * p.outW * p.outH + y * p.outW + x;
#ifndef TEXEL4
    if (p.wide == 0u) {
        upCoord(x, p.inW, p.scaleX, x0, x1, fx);
        uint i00 = b + y0 * p.inW + x0, i01 = b + y0 * p.inW + x1, i10 = b + y1 * p.inW + x0, i11 = b + y1 * p.inW + x1;
        float ug = bilerp(fx, fy, gc[i00], gc[i01], gc[i10], gc[i11]);
        float ur = bilerp(fx, fy, rc[i00], rc[i01], rc[i10], rc[i11]);
        o[oi] = gain * (gb[oi] - ug) + ur;
        return;
    }
#endif
    // The window: the vec4 holding the first output's left tap and the next
    // (clamped into the row; past the row's end no tap is read).
    upCoord(x, p.inW, p.scaleX, x0, x1, fx);
    uint a = x0 & ~3u, n4 = p.inW >> 2u;
    uint c0 = a >> 2u, c1 = min(c0 + 1u, n4 - 1u);
    uint r0 = (b + y0 * p.inW) >> 2u, r1 = (b + y1 * p.inW) >> 2u;
    vec4 g0a = GC4(r0 + c0), g0b = GC4(r0 + c1), g1a = GC4(r1 + c0), g1b = GC4(r1 + c1);
    vec4 q0a = RC4(r0 + c0), q0b = RC4(r0 + c1), q1a = RC4(r1 + c0), q1b = RC4(r1 + c1);
    vec4 band = GB4(oi >> 2u), res;
    [[unroll]] for (uint j = 0u; j < 4u; j++) {
        upCoord(x + j, p.inW, p.scaleX, x0, x1, fx);
        uint k0 = x0 - a, k1 = x1 - a;
        float ug = bilerp(fx, fy, pick(g0a, g0b, k0), pick(g0a, g0b, k1), pick(g1a, g1b, k0), pick(g1a, g1b, k1));
        float ur = bilerp(fx, fy, pick(q0a, q0b, k0), pick(q0a, q0b, k1), pick(q1a, q1b, k0), pick(q1a, q1b, k1));
        res[j] = gain * (band[j] - ug) + ur;
    }
    o4[oi >> 2u] = res;
}
