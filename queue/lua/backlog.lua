-- A user's backlog: ready jobs plus slots held (leased or waiting to retry). ARGV[6]: tenant,
-- [7]: user. Read-only.
local t, u = ARGV[6], ARGV[7]
local us = ustate(t, u)
return us.r + us.h
