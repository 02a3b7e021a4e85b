# smtp-session: see README.md.  `make`, `make check`, `make run`.
CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wvla \
           -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-clash-protection -fPIE
LDFLAGS += -pie -Wl,-z,relro,-z,now -Wl,--as-needed

OBJS = smtp-session.o buf.o log.o priv.o mbox.o

all: smtp-session

smtp-session: $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

%.o: %.c *.h
	$(CC) $(CFLAGS) -c -o $@ $<

clean:
	rm -f smtp-session *.o

.PHONY: all clean
