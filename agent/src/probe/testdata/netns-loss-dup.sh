set -e
ip link set lo up
nft add table netdev t
nft add chain netdev t c '{ type filter hook ingress device lo priority 0; }'
nft add rule netdev t c icmp type echo-reply numgen random mod 10 '<' 3 dup to lo
nft add table inet f
nft add chain inet f in '{ type filter hook input priority 0; }'
nft add rule inet f in icmp type echo-reply numgen random mod 10 '<' 2 drop
nft add rule inet f in icmpv6 type echo-reply numgen random mod 10 '<' 2 drop
"$@"
