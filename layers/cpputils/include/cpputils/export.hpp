// Symbols are hidden by default in the layer library; what is marked here is
// the layer's ABI.
#pragma once
#define CPPUTILS_API __attribute__((visibility("default")))
