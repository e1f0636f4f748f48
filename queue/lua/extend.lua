-- Extend a lease (and so its whole batch). ARGV[6]: id, [7]: token, [8]: lease ms. Returns the
-- new deadline, or -1 if the lease is stale.
local sk, field = lease_slot(ARGV[6], ARGV[7])
if not sk or redis.call('HEXISTS', k_batch(sk), field) == 0 then return -1 end
local deadline = NOW + tonumber(ARGV[8])
redis.call('ZADD', K_INFL, deadline, sk)
note_leased(deadline)
flush()
return deadline
