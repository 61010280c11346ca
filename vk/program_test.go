package vk

import "testing"

// recordOnNewContext opens a context of its own, with a 64-byte device
// buffer, and starts recording a Program on it.
func recordOnNewContext(t *testing.T) (*Context, *Buffer, *Recorder) {
	t.Helper()
	c, err := Open(Options{Device: -1})
	if err != nil {
		t.Fatal(err)
	}
	dev, err := c.NewBuffer(64)
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	r, err := c.Record()
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	return c, dev, r
}

// A program runs many times from one recording: each run copies what the
// host last wrote into its slot and lands the read-back in the same slice.
func TestProgramReruns(t *testing.T) {
	c, dev, r := recordOnNewContext(t)
	defer c.Close()
	slot, err := r.UploadSlot(dev, 4)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]float32, 4)
	if err := r.DownloadAt(dev, 1, got[:3]); err != nil {
		t.Fatal(err)
	}
	p, err := r.Program()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for run := 0; run < 3; run++ {
		for i := range slot {
			slot[i] = float32(10*run + i)
		}
		if err := p.Run(); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			if got[i] != float32(10*run+i+1) {
				t.Fatalf("run %d: read back %v", run, got)
			}
		}
	}
	if err := p.Wait(); err == nil {
		t.Fatal("Wait without Submit succeeded")
	}
	if err := p.Submit(); err != nil {
		t.Fatal(err)
	}
	if err := p.Submit(); err == nil {
		t.Fatal("a second Submit before Wait succeeded")
	}
	if err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Program(); err == nil {
		t.Fatal("a finished recorder made a second program")
	}
}

// A program left open when its context closes is freed with it (its own
// command pool and fence go before the device), and closing it afterwards
// does nothing.
func TestProgramOutlivesContext(t *testing.T) {
	c, dev, r := recordOnNewContext(t)
	if _, err := r.UploadSlot(dev, 4); err != nil {
		t.Fatal(err)
	}
	p, err := r.Program()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Run(); err != nil {
		t.Fatal(err)
	}
	if len(c.programs) != 1 {
		t.Fatalf("%d programs registered, want 1", len(c.programs))
	}
	c.Close()
	if len(c.programs) != 0 || p.c != nil {
		t.Fatalf("Close left %d programs, this one's context %v", len(c.programs), p.c)
	}
	p.Close()
	if msgs := c.ValidationMessages(); len(msgs) > 0 {
		t.Fatalf("validation: %v", msgs)
	}
}
