package vk

import (
	"fmt"
	"math/bits"
	"sort"
	"unsafe"

	api "github.com/vulkan-go/vulkan"
)

type memKind int

const (
	// Device is device-local memory: weights and activations.
	Device memKind = iota
	// Staging is host-visible, coherent memory for uploads and read-backs.
	Staging
)

func (k memKind) String() string {
	if k == Staging {
		return "staging"
	}
	return "device"
}

// Buffer is one VkBuffer, bound to memory of its own or to a span of a
// shared block. Pooled buffers keep their size class as capacity; Size is
// what the last user asked for.
type Buffer struct {
	ctx      *Context
	id       uint64
	handle   api.Buffer
	mem      api.DeviceMemory
	kind     memKind
	capacity uint64    // the VkBuffer's size
	memSize  uint64    // its memory's (own) or span's (shared), which the driver may round further
	blk      *memBlock // the shared block it lies in, else nil
	off      uint64    // its offset there
	Size     uint64
	mapped   unsafe.Pointer
	pooled   bool
	class    uint64
	views    [2]api.BufferView // texel views (fp32 and raw binary16 texels), made on first use
}

// Handle is the underlying VkBuffer.
func (b *Buffer) Handle() api.Buffer { return b.handle }

// sizeClass rounds a request up to one of eight classes per power of two (at
// least 256 bytes), so that buffers are reused across calls whose sizes differ
// a little while no more than an eighth is wasted.
func sizeClass(n uint64) uint64 {
	if n <= 256 {
		return 256
	}
	step := max(uint64(1)<<(63-bits.LeadingZeros64(n-1))/8, 256)
	return (n + step - 1) / step * step
}

func (c *Context) findMemType(bitsMask uint32, want api.MemoryPropertyFlagBits) (uint32, bool) {
	for i, t := range c.memTypes {
		if bitsMask&(1<<uint(i)) != 0 && api.MemoryPropertyFlagBits(t.PropertyFlags)&want == want {
			return uint32(i), true
		}
	}
	return 0, false
}

// newBuffer creates a buffer of exactly size bytes. Caller holds c.mu.
// Small buffers share memory blocks (blocks.go); larger ones get memory of
// their own.
func (c *Context) newBuffer(size uint64, kind memKind) (*Buffer, error) {
	// Whole 16-byte vectors: shaders read uniform data (weights, tables) in
	// vec4s or 64-bit pairs, and a read partly past the buffer's end reads
	// zeros under robust access, the wanted half too.
	want := size
	size = (size + 15) &^ 15
	usage := api.BufferUsageStorageBufferBit | api.BufferUsageUniformBufferBit | api.BufferUsageUniformTexelBufferBit |
		api.BufferUsageTransferSrcBit | api.BufferUsageTransferDstBit
	binfo := &api.BufferCreateInfo{
		SType:       api.StructureTypeBufferCreateInfo,
		Size:        api.DeviceSize(size),
		Usage:       api.BufferUsageFlags(usage),
		SharingMode: api.SharingModeExclusive,
	}
	b := &Buffer{ctx: c, kind: kind, capacity: size, Size: want}
	var handle api.Buffer
	if err := check(api.CreateBuffer(c.device, binfo, nil, &handle), fmt.Sprintf("vkCreateBuffer(%d bytes)", size)); err != nil {
		return nil, err
	}
	b.handle = handle
	var req api.MemoryRequirements
	api.GetBufferMemoryRequirements(c.device, b.handle, &req)
	req.Deref()
	idx, ok := c.memTypeFor(kind, req.MemoryTypeBits)
	if !ok {
		api.DestroyBuffer(c.device, b.handle, nil)
		return nil, fmt.Errorf("vulkan: no %s memory type for a %d-byte buffer", kind, size)
	}
	var err error
	if uint64(req.Size) <= sharedMax && uint64(req.Alignment) <= blockBytes {
		err = c.placeShared(b, idx, uint64(req.Size), uint64(req.Alignment))
	} else {
		err = c.placeOwn(b, idx, uint64(req.Size))
	}
	if err != nil {
		api.DestroyBuffer(c.device, b.handle, nil)
		return nil, err
	}
	c.nextID++
	b.id = c.nextID
	c.all[b] = struct{}{}
	c.stats.Buffers++
	return b, nil
}

// memTypeFor picks the memory type of kind's buffers among those allowed.
func (c *Context) memTypeFor(kind memKind, allowed uint32) (uint32, bool) {
	if kind == Staging {
		// Cached memory makes read-backs fast; fall back to any coherent host memory.
		if idx, ok := c.findMemType(allowed, api.MemoryPropertyHostVisibleBit|api.MemoryPropertyHostCoherentBit|api.MemoryPropertyHostCachedBit); ok {
			return idx, true
		}
		return c.findMemType(allowed, api.MemoryPropertyHostVisibleBit|api.MemoryPropertyHostCoherentBit)
	}
	if idx, ok := c.findMemType(allowed, api.MemoryPropertyDeviceLocalBit); ok {
		return idx, true
	}
	return c.findMemType(allowed, 0)
}

// placeOwn binds b to memory of its own.
func (c *Context) placeOwn(b *Buffer, idx uint32, size uint64) error {
	mem, mapped, err := c.allocate(b.kind, idx, size)
	if err != nil {
		return err
	}
	if err := check(api.BindBufferMemory(c.device, b.handle, mem, 0), "vkBindBufferMemory"); err != nil {
		c.deallocate(b.kind, mem, mapped, size)
		return err
	}
	b.mem, b.mapped, b.memSize = mem, mapped, size
	return nil
}

// allocate makes size bytes of memory type idx, mapped if kind is Staging,
// and counts them.
func (c *Context) allocate(kind memKind, idx uint32, size uint64) (api.DeviceMemory, unsafe.Pointer, error) {
	ainfo := &api.MemoryAllocateInfo{
		SType:           api.StructureTypeMemoryAllocateInfo,
		AllocationSize:  api.DeviceSize(size),
		MemoryTypeIndex: idx,
	}
	var mem api.DeviceMemory
	if err := check(api.AllocateMemory(c.device, ainfo, nil, &mem), fmt.Sprintf("vkAllocateMemory(%d bytes, %s)", size, kind)); err != nil {
		return nil, nil, err
	}
	var mapped unsafe.Pointer
	if kind == Staging {
		if err := check(api.MapMemory(c.device, mem, 0, api.DeviceSize(size), 0, &mapped), "vkMapMemory"); err != nil {
			api.FreeMemory(c.device, mem, nil)
			return nil, nil, err
		}
	}
	c.stats.MemoryAllocations++
	c.stats.BytesAllocated += size
	c.stats.BytesLive += size
	c.stats.PeakBytes = max(c.stats.PeakBytes, c.stats.BytesLive)
	if kind == Device {
		c.stats.DeviceBytesLive += size
		c.stats.DevicePeakBytes = max(c.stats.DevicePeakBytes, c.stats.DeviceBytesLive)
	}
	return mem, mapped, nil
}

// deallocate frees what allocate made and uncounts it.
func (c *Context) deallocate(kind memKind, mem api.DeviceMemory, mapped unsafe.Pointer, size uint64) {
	if mapped != nil {
		api.UnmapMemory(c.device, mem)
	}
	api.FreeMemory(c.device, mem, nil)
	c.stats.BytesLive -= size
	if kind == Device {
		c.stats.DeviceBytesLive -= size
	}
}

func (b *Buffer) free() {
	c := b.ctx
	if b.handle == nil {
		return
	}
	c.sets.forget(c.device, b.id)
	for i, v := range b.views {
		if v != nil {
			api.DestroyBufferView(c.device, v, nil)
			b.views[i] = nil
		}
	}
	api.DestroyBuffer(c.device, b.handle, nil)
	if b.blk != nil {
		c.unplaceShared(b)
	} else {
		c.deallocate(b.kind, b.mem, b.mapped, b.memSize)
	}
	delete(c.all, b)
	b.handle = nil
}

// NewBuffer creates a device-local buffer owned by the caller (weights, long-lived state).
func (c *Context) NewBuffer(size uint64) (*Buffer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.errClosed(); err != nil {
		return nil, err
	}
	return c.newBuffer(size, Device)
}

// Free releases a buffer made by NewBuffer.
func (b *Buffer) Free() {
	b.ctx.mu.Lock()
	defer b.ctx.mu.Unlock()
	if !b.ctx.closed {
		b.free()
	}
}

// Acquire takes a device-local buffer of at least size bytes from the activation pool.
func (c *Context) Acquire(size uint64) (*Buffer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.acquire(size, Device)
}

func (c *Context) acquire(size uint64, kind memKind) (*Buffer, error) {
	if err := c.errClosed(); err != nil {
		return nil, err
	}
	class := sizeClass(size)
	classes := c.pools[kind]
	if classes == nil {
		classes = map[uint64][]*Buffer{}
		c.pools[kind] = classes
	}
	// Take the oldest free buffer of the class: with this rule a repeated
	// sequence of acquires and releases maps to the same buffers on every call
	// after the first, so the descriptor sets cached then are found again.
	if list := classes[class]; len(list) > 0 {
		b := list[0]
		classes[class] = list[1:]
		b.Size = size
		return b, nil
	}
	b, err := c.newBuffer(class, kind)
	if err != nil {
		return nil, err
	}
	b.pooled = true
	b.class = class
	b.Size = size
	return b, nil
}

// Release returns pooled buffers for reuse. Buffers from NewBuffer are ignored.
func (c *Context) Release(bufs ...*Buffer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.release(bufs...)
}

func (c *Context) release(bufs ...*Buffer) {
	for _, b := range bufs {
		if b == nil || !b.pooled || b.handle == nil {
			continue
		}
		if c.closed {
			continue
		}
		list := c.pools[b.kind][b.class]
		i := sort.Search(len(list), func(i int) bool { return list[i].id >= b.id })
		if i < len(list) && list[i] == b {
			continue // released twice
		}
		list = append(list, nil)
		copy(list[i+1:], list[i:])
		list[i] = b
		c.pools[b.kind][b.class] = list
	}
}

// Trim frees every pooled buffer that is not in use.
func (c *Context) Trim() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, classes := range c.pools {
		for k, list := range classes {
			for _, b := range list {
				b.free()
			}
			delete(classes, k)
		}
	}
}
