// MILO's scaler S: a per-pixel MLP of 1x1 convolutions 1 -> HID -> HID -> 1
// with LeakyReLU(0.2) between and a sigmoid at the end. Needs HID (a
// specialization constant), the weights array wt and the float offsets of its
// layers in a ScalerOff: w0 HIDx1, w1 HIDxHID, w2 1xHID and their biases.
struct ScalerOff { uint w0, b0, w1, b1, w2, b2; };

float scalerS(ScalerOff so, float x) {
    float h0[HID];
    [[unroll]] for (uint j = 0; j < HID; j++) h0[j] = activate(wt[so.w0 + j] * x + wt[so.b0 + j], ACT_LEAKY02);
    float y = wt[so.b2];
    [[unroll]] for (uint k = 0; k < HID; k++) {
        float s = wt[so.b1 + k];
        [[unroll]] for (uint j = 0; j < HID; j++) s += wt[so.w1 + k * HID + j] * h0[j];
        y += wt[so.w2 + k] * activate(s, ACT_LEAKY02);
    }
    return activate(y, ACT_SIGMOID);
}
