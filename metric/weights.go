package metric

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"

	"github.com/nlpodyssey/gopickle/pytorch"
	"github.com/nlpodyssey/gopickle/types"
	"github.com/nlpodyssey/safetensors"

	"github.com/vkpercept/vkpercept/kernels"
)

// MaskLayers are the mask network's 3x3 convolutions: 2C+1 -> 32 -> 64 -> 32 -> 16 -> 1.
var maskOuts = [5]int{32, 64, 32, 16, 1}

const scalerHidden = 32

// Layer is one convolution's parameters in PyTorch layout (OIHW weights).
type Layer struct {
	W, B []float32
}

// Weights are the parameters of one MILO model (image or latent variant).
type Weights struct {
	Channels int // 3 for RGB images, 4 for VAE latents
	Mask     [5]Layer
	Scaler   kernels.ScalerWeights
}

type namedTensor struct {
	shape []int
	data  []float32
}

func maskName(i int, part string) string {
	return fmt.Sprintf("mask_finder_1.netBasic.%d.%s", 2*i, part)
}

func scalerName(i int, part string) string {
	return fmt.Sprintf("scaler_network.model.%d.%s", 2*i, part)
}

// expectedShapes lists every tensor of a MILO checkpoint for c input channels.
func expectedShapes(c int) map[string][]int {
	m := map[string][]int{}
	in := 2*c + 1
	for i, out := range maskOuts {
		m[maskName(i, "weight")] = []int{out, in, 3, 3}
		m[maskName(i, "bias")] = []int{out}
		in = out
	}
	sin := 1
	for i, out := range []int{scalerHidden, scalerHidden, 1} {
		m[scalerName(i, "weight")] = []int{out, sin, 1, 1}
		m[scalerName(i, "bias")] = []int{out}
		sin = out
	}
	return m
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// fromTensors validates names and shapes and builds Weights; anything missing,
// extra, misshapen or non-finite is an error naming the tensor.
func fromTensors(src string, ts map[string]namedTensor) (*Weights, error) {
	first, ok := ts[maskName(0, "weight")]
	if !ok {
		return nil, fmt.Errorf("%s: not a MILO checkpoint: tensor %s missing", src, maskName(0, "weight"))
	}
	c := 0
	if len(first.shape) == 4 {
		c = (first.shape[1] - 1) / 2
	}
	if c != 3 && c != 4 {
		return nil, fmt.Errorf("%s: %s has shape %v; MILO takes [32, 7, 3, 3] (RGB) or [32, 9, 3, 3] (latent)", src, maskName(0, "weight"), first.shape)
	}
	want := expectedShapes(c)
	var problems []string
	for name, shape := range want {
		t, ok := ts[name]
		switch {
		case !ok:
			problems = append(problems, "missing "+name)
		case !sameShape(t.shape, shape):
			problems = append(problems, fmt.Sprintf("%s has shape %v, want %v", name, t.shape, shape))
		default:
			for _, v := range t.data {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					problems = append(problems, name+" holds NaN or Inf")
					break
				}
			}
		}
	}
	for name := range ts {
		if _, ok := want[name]; !ok {
			problems = append(problems, "unexpected "+name)
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, fmt.Errorf("%s: wrong MILO weights: %s", src, strings.Join(problems, "; "))
	}
	w := &Weights{Channels: c}
	for i := range w.Mask {
		w.Mask[i] = Layer{W: ts[maskName(i, "weight")].data, B: ts[maskName(i, "bias")].data}
	}
	w.Scaler = kernels.ScalerWeights{
		W0: ts[scalerName(0, "weight")].data, B0: ts[scalerName(0, "bias")].data,
		W1: ts[scalerName(1, "weight")].data, B1: ts[scalerName(1, "bias")].data,
		W2: ts[scalerName(2, "weight")].data, B2: ts[scalerName(2, "bias")].data,
	}
	return w, nil
}

// LoadWeights reads a MILO checkpoint: the authors' PyTorch state_dict (.pth)
// or our safetensors form, told apart by content, not by name.
func LoadWeights(path string) (*Weights, error) {
	head := make([]byte, 16)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("weights: %w", err)
	}
	n, _ := f.Read(head)
	f.Close()
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")) || bytes.HasPrefix(head, []byte{0x80}):
		return loadPth(path)
	case n >= 9 && head[8] == '{':
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("weights: %w", err)
		}
		return ParseSafetensors(path, data)
	}
	return nil, fmt.Errorf("%s: not a checkpoint (neither a PyTorch .pth nor safetensors)", path)
}

func loadPth(path string) (w *Weights, err error) {
	// gopickle panics on some malformed pickles; report them as corrupt files.
	defer func() {
		if r := recover(); r != nil {
			w, err = nil, fmt.Errorf("%s: corrupt PyTorch checkpoint: %v", path, r)
		}
	}()
	obj, err := pytorch.Load(path)
	if err != nil {
		return nil, fmt.Errorf("%s: reading PyTorch checkpoint: %w", path, err)
	}
	dict, ok := obj.(*types.OrderedDict)
	if !ok {
		return nil, fmt.Errorf("%s: checkpoint holds a %T, not a state_dict", path, obj)
	}
	ts := map[string]namedTensor{}
	for e := dict.List.Front(); e != nil; e = e.Next() {
		entry := e.Value.(*types.OrderedDictEntry)
		key, v := entry.Key, entry.Value
		name, ok := key.(string)
		if !ok {
			return nil, fmt.Errorf("%s: state_dict key %v is not a string", path, key)
		}
		t, ok := v.(*pytorch.Tensor)
		if !ok {
			return nil, fmt.Errorf("%s: %s is a %T, not a tensor", path, name, v)
		}
		st, ok := t.Source.(*pytorch.FloatStorage)
		if !ok {
			return nil, fmt.Errorf("%s: %s is not float32 (%T)", path, name, t.Source)
		}
		numel, stride := 1, 1
		for i := len(t.Size) - 1; i >= 0; i-- {
			if t.Size[i] > 1 && t.Stride[i] != stride {
				return nil, fmt.Errorf("%s: %s is not contiguous", path, name)
			}
			stride *= t.Size[i]
		}
		numel = stride
		if t.StorageOffset+numel > len(st.Data) {
			return nil, fmt.Errorf("%s: %s runs past its storage", path, name)
		}
		data := append([]float32(nil), st.Data[t.StorageOffset:t.StorageOffset+numel]...)
		ts[name] = namedTensor{shape: append([]int(nil), t.Size...), data: data}
	}
	return fromTensors(path, ts)
}

// ParseSafetensors reads MILO weights from safetensors bytes (F32 tensors).
func ParseSafetensors(src string, data []byte) (*Weights, error) {
	st, err := safetensors.Deserialize(data)
	if err != nil {
		return nil, fmt.Errorf("%s: corrupt safetensors: %w", src, err)
	}
	ts := map[string]namedTensor{}
	for _, nt := range st.Tensors() {
		v := nt.TensorView
		if v.DType() != safetensors.F32 {
			return nil, fmt.Errorf("%s: %s is %s, want F32", src, nt.Name, v.DType())
		}
		raw := v.Data()
		vals := make([]float32, len(raw)/4)
		for i := range vals {
			vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		shape := make([]int, len(v.Shape()))
		for i, d := range v.Shape() {
			shape[i] = int(d)
		}
		ts[nt.Name] = namedTensor{shape: shape, data: vals}
	}
	return fromTensors(src, ts)
}

// Safetensors serialises the weights under the authors' tensor names.
func (w *Weights) Safetensors() ([]byte, error) {
	shapes := expectedShapes(w.Channels)
	values := map[string][]float32{}
	for i, l := range w.Mask {
		values[maskName(i, "weight")], values[maskName(i, "bias")] = l.W, l.B
	}
	s := w.Scaler
	for i, pair := range [][2][]float32{{s.W0, s.B0}, {s.W1, s.B1}, {s.W2, s.B2}} {
		values[scalerName(i, "weight")], values[scalerName(i, "bias")] = pair[0], pair[1]
	}
	views := map[string]safetensors.TensorView{}
	for name, vals := range values {
		raw := make([]byte, 0, 4*len(vals))
		for _, v := range vals {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
		}
		shape := make([]uint64, len(shapes[name]))
		for i, d := range shapes[name] {
			shape[i] = uint64(d)
		}
		tv, err := safetensors.NewTensorView(safetensors.F32, shape, raw)
		if err != nil {
			return nil, fmt.Errorf("safetensors %s: %w", name, err)
		}
		views[name] = tv
	}
	return safetensors.Serialize(views, map[string]string{"format": "vkpercept-milo", "channels": fmt.Sprint(w.Channels)})
}
