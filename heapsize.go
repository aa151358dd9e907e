package ifmatch

// heapBytes is what the Go heap holds for an allocation of n bytes: n
// rounded up to the allocator's size class (internal/runtime/gc's
// sizeclasses.go), or to whole 8 KiB pages past the largest class. The
// cache's byte count uses it, so that CacheBytes bounds the heap the cache
// holds rather than the bytes it was asked to keep: a 1 KiB body read with
// room for EOF takes 1,152 bytes, a 64 KiB one 72 KiB.
func heapBytes(n int) int64 {
	switch {
	case n <= 0:
		return 0
	case n < 16:
		// the tiny allocator packs small pointer-free objects into 16-byte
		// blocks, so they cost about their size, 8-byte aligned
		return int64(n+7) &^ 7
	case n > sizeClasses[len(sizeClasses)-1]:
		const page = 8 << 10
		return int64(n+page-1) &^ (page - 1)
	}
	lo, hi := 0, len(sizeClasses)-1
	for lo < hi { // the smallest class that fits n
		mid := (lo + hi) / 2
		if sizeClasses[mid] < n {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return int64(sizeClasses[lo])
}

// sizeClasses are the Go allocator's object sizes up to 32 KiB, as of Go
// 1.26; TestHeapBytes checks them against what the runtime allocates.
var sizeClasses = [...]int{
	8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256,
	288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280,
	1408, 1536, 1792, 2048, 2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528,
	6784, 6912, 8192, 9472, 9728, 10240, 10880, 12288, 13568, 14336, 16384, 18432, 19072,
	20480, 21760, 24576, 27264, 28672, 32768,
}
