package ringkey_test

import "unsafe"

type unsafePointer = unsafe.Pointer
