// Package trainset reads the pixels of tools/train/label's splits: <split>.u8
// holds every crop and distortion back to back, 8-bit RGB interleaved, at the
// byte offsets <split>.jsonl gives.
package trainset

import "github.com/vkpercept/vkpercept/metric"

// Image reads the w x h crop at byte offset off into a planar float image in
// [0,1], as metric.FromImage would have read it from a PNG.
func Image(pix []byte, off int64, w, h int) metric.Image {
	n := w * h
	im := metric.Image{C: 3, H: h, W: w, Data: make([]float32, 3*n)}
	for i := range n {
		for c := range 3 {
			im.Data[c*n+i] = float32(pix[off+int64(3*i+c)]) / 255
		}
	}
	return im
}
