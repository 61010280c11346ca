package kernels

import "fmt"

// View places an NCHW tensor of width W inside a buffer: element (n, c, y, x),
// with y an image row, lies at Off + n*NS + c*CS + y*W + x. Whole tensors are
// Dense; a band buffer holding image rows [y0, y1) is Band, with a negative
// Off, so that kernels address every tensor in image coordinates and a tiled
// pass runs the same kernels as an untiled one.
type View struct{ Off, CS, NS int }

// Dense is a whole c x h x w tensor per image, images back to back.
func Dense(c, h, w int) View { return View{CS: h * w, NS: c * h * w} }

// Band is c channels of image rows [y0, y1) of width w per image.
func Band(c, y0, y1, w int) View {
	rows := y1 - y0
	return View{Off: -y0 * w, CS: rows * w, NS: c * rows * w}
}

// At is the index of (n, c, y, 0).
func (v View) At(n, c, y, w int) int { return v.Off + n*v.NS + c*v.CS + y*w }

// check reports whether n images of c channels, rows [y0, y1) of width w fit
// in a buffer of size floats.
func (v View) check(what string, size, n, c, y0, y1, w int) error {
	if n == 0 || c == 0 || y1 <= y0 {
		return nil
	}
	lo, hi := v.At(0, 0, y0, w), v.At(n-1, c-1, y1-1, w)+w
	if lo < 0 || hi > size {
		return fmt.Errorf("%s: view %+v of %d x %d channels, rows %d..%d, width %d needs floats [%d, %d) of %d", what, v, n, c, y0, y1, w, lo, hi, size)
	}
	return nil
}

func (v View) push() []uint32 { return []uint32{uint32(int32(v.Off)), uint32(v.CS), uint32(v.NS)} }
