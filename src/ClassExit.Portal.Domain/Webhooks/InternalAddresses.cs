using System.Net;
using System.Net.Sockets;

namespace ClassExit.Portal.Domain.Webhooks;

/// <summary>
/// Addresses a webhook must not reach unless an admin allowed "internal address" (SSRF): loopback, private (RFC 1918, CGNAT),
/// link-local (including the cloud metadata service 169.254.169.254), unique-local IPv6, unspecified, multicast and broadcast.
/// </summary>
public static class InternalAddresses
{
    public static bool IsInternal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address)) return true;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] switch
            {
                0 => true,                                   // "this network", 0.0.0.0
                10 => true,                                  // RFC 1918
                100 => b[1] >= 64 && b[1] <= 127,            // CGNAT 100.64/10
                127 => true,
                169 => b[1] == 254,                          // link-local, metadata 169.254.169.254
                172 => b[1] >= 16 && b[1] <= 31,             // RFC 1918
                192 => (b[1] == 168) || (b[1] == 0 && b[2] == 0), // RFC 1918, IETF protocol assignments
                198 => b[1] == 18 || b[1] == 19,             // benchmarking 198.18/15
                >= 224 => true,                              // multicast, reserved, broadcast
                _ => false,
            };
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (address.Equals(IPAddress.IPv6None) || address.Equals(IPAddress.IPv6Any)) return true;
            var b = address.GetAddressBytes();
            return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
                || (b[0] & 0xFE) == 0xFC;                     // unique-local fc00::/7 (also the fd00:ec2::254 metadata service)
        }
        return true;
    }
}
