// MILO's scaler S(x): a per-pixel MLP 1 -> HID -> HID -> 1 with LeakyReLU(0.2)
// and a final sigmoid, evaluated from kernels.Scaler.Table at float t of WT:
// HID bends, (HID+1) intervals of HID (A, B) pairs, w2, b2. Needs HID (a
// specialization constant) and WT(i), the table's float i.
float scalerS(uint t, float x) {
    uint i = 0u;
    [[unroll]] for (uint j = 0; j < HID; j++) i += x >= WT(t + j) ? 1u : 0u;
    uint c = t + HID + 2u * HID * i;
    uint w2 = t + HID + 2u * HID * (HID + 1u);
    float y = WT(w2 + HID);
    [[unroll]] for (uint k = 0; k < HID; k++) y += WT(w2 + k) * activate(WT(c + 2u * k) * x + WT(c + 2u * k + 1u), ACT_LEAKY02);
    return activate(y, ACT_SIGMOID);
}
