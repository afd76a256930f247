// zlib, for WebSocket permessage-deflate (RFC 7692): raw DEFLATE streams.
#include <zlib.h>
