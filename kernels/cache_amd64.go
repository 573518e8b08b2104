package kernels

func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)

// l2Bytes is the size of a core's L2 cache from CPUID leaf 0x80000006
// (ECX[31:16], in KiB; AMD and Intel both report it there), or 0 when the
// CPU does not say.
func l2Bytes() int {
	if max, _, _, _ := cpuid(0x80000000, 0); max < 0x80000006 {
		return 0
	}
	_, _, ecx, _ := cpuid(0x80000006, 0)
	return int(ecx>>16) << 10
}

// blockDepth is the GEMM block depth kc for an mr×nr tile and a core with l2
// bytes of L2 (0: unknown): the deepest of 1024, 512, 256 whose packed A
// block (mcBlock rows) and one B panel fill at most 5/8 of L2 (the rest
// holds C lines and the next panels), so that A stays there while the
// panels stream past. Deeper blocks reload C less
// often (1024 is best on Zen 4's 1 MiB); on Zen 3's 512 KiB the 1024-deep
// A block alone (448 KiB) would push the panels out to L3.
func blockDepth(l2, mr, nr int) int {
	if l2 <= 0 {
		return kcBlock
	}
	rows := ceilDiv(mcBlock, mr)*mr + nr
	kc := kcBlock
	for kc > 256 && rows*kc*4 > l2*5/8 {
		kc /= 2
	}
	return kc
}
