/* What the hub module exports to other modules of the same tree. */
#ifndef HUB_H
#define HUB_H
long hub_bump(void);
#endif
