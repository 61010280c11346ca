#version 450
// One finer level of the pyramid Wiener denoiser:
// R_b = g_b (G_b - up(G_{b+1})) + up(R_{b+1}), the Laplacian band scaled by
// its Wiener gain g_b = P_b / (P_b + N_b s^2) plus the denoised coarser level.
#include "bilinear.glsl"
layout(local_size_x = 16, local_size_y = 16) in;

layout(std430, binding = 0) writeonly buffer Out { float o[]; };
layout(std430, binding = 1) readonly buffer GB { float gb[]; };    // outW x outH planes
layout(std430, binding = 2) readonly buffer GC { float gc[]; };    // inW x inH planes
layout(std430, binding = 3) readonly buffer RC { float rc[]; };    // inW x inH planes
layout(std430, binding = 4) readonly buffer Sig { float sig[]; };

layout(push_constant) uniform P {
    uint inW, inH, outW, outH, planes, C, sigOff, period;
    float bandP, bandN, scaleX, scaleY;
} p;

void main() {
    uint x = gl_GlobalInvocationID.x, y = gl_GlobalInvocationID.y, pl = gl_GlobalInvocationID.z;
    if (x >= p.outW || y >= p.outH || pl >= p.planes) return;
    uint x0, x1, y0, y1;
    float fx, fy;
    upCoord(x, p.inW, p.scaleX, x0, x1, fx);
    upCoord(y, p.inH, p.scaleY, y0, y1, fy);
    uint b = pl * p.inW * p.inH;
    uint i00 = b + y0 * p.inW + x0, i01 = b + y0 * p.inW + x1, i10 = b + y1 * p.inW + x0, i11 = b + y1 * p.inW + x1;
    precise float ug = (1.0 - fy) * ((1.0 - fx) * gc[i00] + fx * gc[i01]) + fy * ((1.0 - fx) * gc[i10] + fx * gc[i11]);
    precise float ur = (1.0 - fy) * ((1.0 - fx) * rc[i00] + fx * rc[i01]) + fy * ((1.0 - fx) * rc[i10] + fx * rc[i11]);
    float s = sig[p.sigOff + (pl / p.C) % p.period];
    float gain = p.bandP / (p.bandP + p.bandN * s * s);
    uint oi = pl * p.outW * p.outH + y * p.outW + x;
    o[oi] = gain * (gb[oi] - ug) + ur;
}
