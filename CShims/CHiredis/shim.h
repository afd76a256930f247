// hiredis (0.14.1 on Debian bookworm), its synchronous API: GantryBus drives it from a cold runner of its own.
#include <hiredis/hiredis.h>
