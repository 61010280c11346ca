#version 450
// MILO's scaler: a per-pixel MLP of 1x1 convolutions 1 -> HID -> HID -> 1 with
// LeakyReLU(0.2) between and a sigmoid at the end. out = outScale*(S(v) - sub) + outBias,
// which gives the quality map (S(v) - S(0)) and the MOS (5 - 5 S(loss)) from one shader.
#include "common.glsl"

layout(local_size_x = 64, local_size_y = 1, local_size_z = 1) in;
layout(constant_id = 0) const uint HID = 32;

layout(std430, binding = 0) writeonly buffer Out { float o[]; };
layout(std430, binding = 1) readonly buffer Wt { float wt[]; };
layout(std430, binding = 2) readonly buffer In { float v[]; };

layout(push_constant) uniform P {
    uint count;
    uint w0, b0, w1, b1, w2, b2; // offsets in wt: w0 HIDx1, w1 HIDxHID, w2 1xHID
    float sub;                   // subtracted from S: S(0) for the quality map
    float outScale, outBias;
} p;

float S(float x) {
    float h0[HID];
    [[unroll]] for (uint j = 0; j < HID; j++) h0[j] = activate(wt[p.w0 + j] * x + wt[p.b0 + j], ACT_LEAKY02);
    float y = wt[p.b2];
    [[unroll]] for (uint k = 0; k < HID; k++) {
        float s = wt[p.b1 + k];
        [[unroll]] for (uint j = 0; j < HID; j++) s += wt[p.w1 + k * HID + j] * h0[j];
        y += wt[p.w2 + k] * activate(s, ACT_LEAKY02);
    }
    return activate(y, ACT_SIGMOID);
}

void main() {
    uint i = gl_GlobalInvocationID.x;
    if (i >= p.count) return;
    o[i] = p.outScale * (S(v[i]) - p.sub) + p.outBias;
}
