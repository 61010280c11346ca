// align_corners=True bilinear 2x upsampling taps with replicate padding past
// 2*inN, shared by upsample2.comp and wiener_band.comp. scale is
// (inN-1)/(2inN-1) rounded to float32 on the host, as PyTorch computes it;
// `precise` keeps drivers from contracting into FMAs, so every driver rounds
// like the reference.
void upCoord(uint d, uint inN, float scale, out uint i0, out uint i1, out float f) {
    d = min(d, 2u * inN - 1u);
    precise float s = scale * float(d);
    i0 = min(uint(s), inN - 1u);
    i1 = min(i0 + 1u, inN - 1u);
    precise float fr = s - float(i0);
    f = fr;
}
