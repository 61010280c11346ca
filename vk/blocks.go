package vk

import (
	"unsafe"

	api "github.com/vulkan-go/vulkan"
)

// Small buffers (weights, biases, scaler tables, partial sums, read-back
// slots: most of a model's buffers, and a few KB each) share blocks of
// memory instead of taking an allocation each: drivers cap allocations
// (maxMemoryAllocationCount, 4096 on some) and make each one slow. Blocks
// are small so that a memory budget still holds to within one block a
// kind; buffers over an eighth of a block get memory of their own, which
// bounds what a block can lose to gaps.
const (
	blockBytes = 2 << 20
	sharedMax  = blockBytes / 8
)

// memBlock is one allocation that small buffers of one kind and memory type
// are bound into.
type memBlock struct {
	mem    api.DeviceMemory
	kind   memKind
	typ    uint32
	mapped unsafe.Pointer // staging blocks stay mapped
	free   freeSpans
	live   int // buffers bound into it
}

// placeShared binds b to size bytes of a block of memory type idx, making a
// block when none has room.
func (c *Context) placeShared(b *Buffer, idx uint32, size, align uint64) error {
	var blk *memBlock
	var off uint64
	for _, k := range c.blocks {
		if k.kind != b.kind || k.typ != idx {
			continue
		}
		if o, ok := k.free.take(size, align); ok {
			blk, off = k, o
			break
		}
	}
	if blk == nil {
		mem, mapped, err := c.allocate(b.kind, idx, blockBytes)
		if err != nil {
			return err
		}
		blk = &memBlock{mem: mem, kind: b.kind, typ: idx, mapped: mapped, free: freeSpans{{0, blockBytes}}}
		c.blocks = append(c.blocks, blk)
		off, _ = blk.free.take(size, align)
	}
	if err := check(api.BindBufferMemory(c.device, b.handle, blk.mem, api.DeviceSize(off)), "vkBindBufferMemory"); err != nil {
		blk.free.give(off, size)
		c.dropIfEmpty(blk)
		return err
	}
	blk.live++
	b.blk, b.off, b.mem, b.memSize = blk, off, blk.mem, size
	if blk.mapped != nil {
		b.mapped = unsafe.Add(blk.mapped, off)
	}
	return nil
}

// unplaceShared gives b's span back to its block (b's VkBuffer is gone),
// freeing the block when that was its last buffer.
func (c *Context) unplaceShared(b *Buffer) {
	blk := b.blk
	blk.free.give(b.off, b.memSize)
	blk.live--
	b.blk, b.mapped = nil, nil
	c.dropIfEmpty(blk)
}

// dropIfEmpty frees a block no buffer is bound into.
func (c *Context) dropIfEmpty(blk *memBlock) {
	if blk.live > 0 {
		return
	}
	for i, k := range c.blocks {
		if k == blk {
			c.blocks = append(c.blocks[:i], c.blocks[i+1:]...)
			break
		}
	}
	c.deallocate(blk.kind, blk.mem, blk.mapped, blockBytes)
}
