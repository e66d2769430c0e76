// zlib, for gzip bodies on the sync wire (Debian: zlib1g-dev).
#include <zlib.h>
