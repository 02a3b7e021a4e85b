/* room.h: room for a message in a mailbox (room.c).  Helper side. */
#ifndef ROOM_H
#define ROOM_H

#include <stdint.h>

#include "privsep.h"

/* Room for size more bytes (and a file) on fd's file system, as this user sees it,
 * and in the user's quota where there is one. */
enum mailbox mailbox_room(int fd, uint64_t size);

#endif
