using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ClassExit.Portal.Domain.Audit;

/// <summary>
/// The last link of an organisation's audit chain (organisation 0: entries without one, e.g. unknown sign-ins). Advanced only by
/// the transaction that writes entries, with one atomic <c>UPDATE … RETURNING</c> / <c>UPDATE … OUTPUT</c> (see the data layer).
/// </summary>
public sealed class AuditChainHead
{
    private AuditChainHead() { }

    public AuditChainHead(long organisationId) => OrganisationId = organisationId;

    public long OrganisationId { get; private set; }
    public long LastSequence { get; private set; }
    public long LastEntryId { get; private set; }
    public string? LastHash { get; private set; }
    public DateTimeOffset? SealedAt { get; private set; }
}
