using System.Globalization;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Features.Audit;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Infrastructure;
using ClassExit.Portal.Infrastructure.Authorization;
using CsvHelper;
using ICSharpCode.SharpZipLib.Zip;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ClassExit.Portal.Features.Retention;

/// <summary>
/// Export before purge (domain.md: personal chat export, an encrypted archive of at most 2 GB): a member's messages in a class as
/// an AES-256 encrypted zip (WinZip AES, which 7-Zip opens) with the password the admin sets. Streamed; audited.
/// </summary>
public sealed class ChatExportService(TenantDb tenantDb, TimeProvider clock, IOptions<RetentionOptions> options, PortalAuthorizer authorizer)
{
    public const int MinimumPasswordLength = 12;

    /// <summary>Messages and an upper bound of the archive size, to refuse a too large export before writing a byte.</summary>
    public async Task<(int Messages, long EstimatedBytes)> EstimateAsync(long classId, long memberId, CancellationToken ct = default)
    {
        await using var db = await tenantDb.CreateAsync(ct);
        var q = db.ChatMessages.Where(m => m.ClassId == classId && m.SenderMemberId == memberId);
        var count = await q.CountAsync(ct);
        var chars = count == 0 ? 0 : await q.SumAsync(m => (long)m.Body.Length, ct);
        // UTF-8 needs at most 3 bytes per character here; each CSV row adds about 80 bytes of ids and times.
        return (count, chars * 3 + count * 80L + 1024);
    }

    public async Task<int?> CheckAsync(long classId, long memberId, string? password, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using (var db = await tenantDb.CreateAsync(ct))
        {
            if (await authorizer.DemandClassAsync(db, user, PortalAction.ExportMessages, classId, memberId, ct) is { } refused) return refused;
        }
        if (password is null || password.Length < MinimumPasswordLength) return ErrorCatalogue.ExportPasswordTooWeak;
        var (count, bytes) = await EstimateAsync(classId, memberId, ct);
        if (count == 0) return ErrorCatalogue.NothingToExport;
        return bytes > options.Value.MaxExportBytes ? ErrorCatalogue.ExportTooLarge : null;
    }

    /// <summary>
    /// Writes the archive to <paramref name="output"/> row by row (no full copy in memory). Audited before the first byte
    /// (<c>retention.chat_export_started</c>, committed) and after it (<c>retention.chat_exported</c>, or
    /// <c>retention.chat_export_aborted</c> when writing stops early), with the rows and bytes written.
    /// </summary>
    public async Task<int?> WriteAsync(long classId, long memberId, string password, Stream output, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        await using var db = await tenantDb.CreateAsync(ct);
        // The endpoint calls CheckAsync first; asked again here so that no caller can stream an export without it.
        if (await authorizer.DemandClassAsync(db, user, PortalAction.ExportMessages, classId, memberId, ct) is { } refused) return refused;
        var className = await db.Classes.Where(c => c.Id == classId).Select(c => c.Name).SingleAsync(ct);
        var tz = TimeZoneInfo.FindSystemTimeZoneById(await db.Organisations.Select(o => o.TimeZoneId).FirstAsync(ct));
        var trail = await ExportAuditTrail.StartAsync(db, tenantDb, clock, user, "retention.chat_export", "retention.chat_exported", "Member",
            memberId.ToString(CultureInfo.InvariantCulture), classId, memberId, securityEvent: true, new { classId, memberId, encryption = "AES-256" }, ct);
        var counted = new CountingStream(output);
        var rows = 0;
        try
        {
            // The caller owns the output (the HTTP response): the zip stream must not close it.
            using (var zip = new ZipOutputStream(counted) { IsStreamOwner = false, Password = password })
            {
                zip.SetLevel(6);
                await zip.PutNextEntryAsync(new ZipEntry("messages.csv") { AESKeySize = 256, DateTime = clock.GetUtcNow().UtcDateTime }, ct);
                // PortalCsv writes the UTF-8 byte order mark, so that spreadsheet programs read the Chinese text right.
                await using (var csv = PortalCsv.Create(zip))
                {
                    await csv.WriteRecordAsync(["message_id", "class", "sent_at_local", "body"], ct);
                    await foreach (var m in db.ChatMessages.AsNoTracking().Where(m => m.ClassId == classId && m.SenderMemberId == memberId)
                                       .OrderBy(m => m.Id).Select(m => new { m.Id, m.SentAt, m.Body }).AsAsyncEnumerable().WithCancellation(ct))
                    {
                        csv.WriteField(m.Id);
                        csv.WriteField(className);
                        csv.WriteField(TimeZoneInfo.ConvertTime(m.SentAt, tz).ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture));
                        csv.WriteField(m.Body);
                        await csv.EndRecordAsync(ct);
                        rows++;
                    }
                    await csv.FlushAsync(ct);
                }
                await zip.CloseEntryAsync(ct);
                await zip.FinishAsync(ct);
            }
            await counted.FlushAsync(ct);
        }
        catch (Exception ex)
        {
            await trail.AbortedAsync(rows, counted.BytesWritten, ExportAuditTrail.ReasonOf(ex));
            throw;
        }
        await trail.CompletedAsync(rows, counted.BytesWritten);
        return null;
    }
}
