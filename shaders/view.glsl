// Tensor placement shared by the views of kernels.View: element (n, c, y, x),
// y an image row, lies at off + n*ns + c*cs + y*W + x. A band buffer that
// holds image rows from y0 on has off = -y0*W, so shaders index every tensor
// in image coordinates whether it is whole or a band.
struct View { int off; uint cs, ns; };

uint at(View v, uint n, uint c, uint y, uint W) {
    return uint(v.off + int(n * v.ns + c * v.cs + y * W));
}
