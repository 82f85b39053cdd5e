# Installation is done later in this file (placeholder while the layout settles).
