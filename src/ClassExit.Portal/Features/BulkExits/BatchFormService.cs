using System.Globalization;
using System.Text.Json;
using ClassExit.Portal.Domain.Bulk;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Errors;
using ClassExit.Portal.Domain.Limits;
using ClassExit.Portal.Infrastructure;
using CsvHelper;
using Microsoft.EntityFrameworkCore;

namespace ClassExit.Portal.Features.BulkExits;

/// <summary>Why one line of an uploaded CSV was not taken.</summary>
public enum CsvLineProblem
{
    /// <summary>No member of the organisation has that employee number.</summary>
    UnknownEmployeeNo,
    /// <summary>The number was listed on an earlier line already.</summary>
    Duplicate,
    /// <summary>Longer than an employee number can be.</summary>
    TooLong,
}

public sealed record CsvLineError(int Line, string Value, CsvLineProblem Problem);

public sealed record BatchFormMember(long MemberId, string DisplayName, string EmployeeNo);

/// <summary>The employee numbers of an upload, resolved to members; <paramref name="Code"/> refuses the whole file (too large, or nothing usable).</summary>
public sealed record CsvReadResult(int? Code, IReadOnlyList<BatchFormMember> Members, IReadOnlyList<CsvLineError> Errors);

/// <summary>One pair of a dry run or a run, with the names a person reads.</summary>
public sealed record BatchFormItem(long ClassId, string ClassName, long MemberId, string MemberName, string Status, int? Code);

/// <param name="BatchId">The batch a run created (or, for a double click, the one the first click created); null for a dry run.</param>
/// <param name="Queued">Over <see cref="BatchExitService.MaxSynchronousPairs"/> pairs: accepted to run in the background.</param>
public sealed record BatchFormOutcome(int? Code, string? Detail, long? BatchId, bool Queued, IReadOnlyList<BatchFormItem> Items, int QuotaRemaining);

/// <summary>
/// The portal's bulk-exit form (issue 18): classes picked by name and/or a CSV of employee numbers, turned into the same
/// <see cref="BatchRequest"/> the API takes and run by the same <see cref="BatchExitService"/> (permission, operator, quota,
/// idempotency and audit all decided there). The operator is the signed-in HR operator.
/// </summary>
public sealed class BatchFormService(TenantDb tenantDb, BatchExitService batches, Infrastructure.Authorization.PortalAuthorizer authorizer)
{
    /// <summary>Largest upload read: 1,000 employee numbers of up to 32 characters with line ends fit well inside.</summary>
    public const long MaxCsvBytes = 64 * 1024;
    /// <summary>Lines read at most (a header and one number per member of the largest batch).</summary>
    public const int MaxCsvLines = TextLimits.BatchMembers + 1;
    public const int MaxEmployeeNoLength = 32;

    private static readonly string[] HeaderNames = ["employee_no", "employee no", "employeeno", "工号"];

    /// <summary>
    /// Reads one employee number a line (first column; an optional <c>employee_no</c> / <c>工号</c> header; comma, semicolon or tab),
    /// parsed with CsvHelper, and resolves them in one query. Every line that is not taken is listed with its line number.
    /// </summary>
    public async Task<CsvReadResult> ReadEmployeeCsvAsync(Stream csv, CancellationToken ct = default)
    {
        var numbers = new List<(int Line, string Value)>();
        var errors = new List<CsvLineError>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        // CsvHelper 34: the separator (comma, semicolon, tab) is detected, a byte order mark honoured, empty lines skipped.
        var options = CsvReaderOptions.Default with { HasHeader = false, TrackLineNumbers = true, TrimWhitespace = true, MaxRecordSize = 4096 };
        try
        {
            await using var reader = CsvReader.Create(csv, options, leaveOpen: true);
            var first = true;
            while (await reader.ReadAsync(ct))
            {
                var line = (int)reader.LineNumber;
                if (reader.RowNumber > MaxCsvLines) return new CsvReadResult(ErrorCatalogue.BatchFileTooLarge, [], []);
                var value = (reader.FieldCount > 0 ? reader.GetString(0) : "").Trim().TrimStart('\uFEFF');
                if (first)
                {
                    first = false;
                    if (HeaderNames.Contains(value, StringComparer.OrdinalIgnoreCase)) continue;
                }
                if (value.Length == 0) continue;
                if (value.Length > MaxEmployeeNoLength) errors.Add(new CsvLineError(line, value[..MaxEmployeeNoLength] + "…", CsvLineProblem.TooLong));
                else if (!seen.Add(value)) errors.Add(new CsvLineError(line, value, CsvLineProblem.Duplicate));
                else numbers.Add((line, value));
            }
        }
        catch (CsvFormatException)
        {
            // Broken quoting or a record longer than any employee number line: the file is not read at all.
            return new CsvReadResult(ErrorCatalogue.BatchFileInvalid, [], []);
        }
        if (numbers.Count > TextLimits.BatchMembers) return new CsvReadResult(ErrorCatalogue.BatchFileTooLarge, [], []);

        await using var db = await tenantDb.CreateAsync(ct);
        var wanted = numbers.Select(n => n.Value).ToList();
        var found = await db.Members.AsNoTracking().Where(m => EF.Parameter(wanted).Contains(m.EmployeeNo))
            .Select(m => new BatchFormMember(m.Id, m.DisplayName, m.EmployeeNo)).ToListAsync(ct);
        var byNumber = found.ToDictionary(m => m.EmployeeNo, StringComparer.Ordinal);
        var members = new List<BatchFormMember>(numbers.Count);
        foreach (var (line, value) in numbers)
        {
            if (byNumber.TryGetValue(value, out var member)) members.Add(member);
            else errors.Add(new CsvLineError(line, value, CsvLineProblem.UnknownEmployeeNo));
        }
        errors.Sort((a, b) => a.Line.CompareTo(b.Line));
        // Lines that were not taken are listed and the rest can go on; a file of which nothing was taken is refused as a whole.
        return new CsvReadResult(members.Count == 0 && errors.Count > 0 ? ErrorCatalogue.BatchFileInvalid : null, members, errors);
    }

    /// <summary>
    /// A dry run (<paramref name="dryRun"/>) or the run itself of: every listed member in every picked class; with classes only, every
    /// current member of those classes; with members only, every class they are current members of. A run passes
    /// <paramref name="idempotencyKey"/> so a second click answers with the first click's batch.
    /// </summary>
    public async Task<BatchFormOutcome> RunAsync(IReadOnlyList<long> classIds, IReadOnlyList<long> memberIds, string reasonCode, bool silent, bool dryRun,
        string? idempotencyKey, CancellationToken ct = default)
    {
        var user = await tenantDb.UserAsync();
        // Asked before anything is read, as the API's own call does (BatchExitService asks again; only this refusal is audited).
        await using (var auth = await tenantDb.CreateAsync(ct))
            if (await authorizer.DemandAsync(auth, user, Domain.Access.PortalAction.RunBatch, new Domain.Access.AccessTarget(), "BatchExit", null, ct) is { } refused)
                return Fail(refused);
        List<long> classes = classIds.Distinct().ToList(), members = memberIds.Distinct().ToList();
        if (classes.Count == 0 && members.Count == 0) return Fail(ErrorCatalogue.BatchNothingToRun);
        if (classes.Count == 0 || members.Count == 0)
        {
            await using var db = await tenantDb.CreateAsync(ct);
            if (members.Count == 0)
                members = await db.Memberships.Where(Membership.Current).Where(m => EF.Parameter(classes).Contains(m.ClassId))
                    .Select(m => m.MemberId).Distinct().OrderBy(id => id).Take(TextLimits.BatchMembers + 1).ToListAsync(ct);
            else
                classes = await db.Memberships.Where(Membership.Current).Where(m => EF.Parameter(members).Contains(m.MemberId))
                    .Select(m => m.ClassId).Distinct().OrderBy(id => id).Take(TextLimits.BatchClasses + 1).ToListAsync(ct);
            if (classes.Count == 0 || members.Count == 0) return Fail(ErrorCatalogue.BatchNothingToRun);
        }
        if (classes.Count > TextLimits.BatchClasses || members.Count > TextLimits.BatchMembers)
            return Fail(ErrorCatalogue.BatchFileTooLarge, $"at most {TextLimits.BatchClasses} classes and {TextLimits.BatchMembers} members");

        var outcome = await batches.RunAsync(new BatchRequest(user.MemberId, classes, members, reasonCode, silent, dryRun), idempotencyKey, ct);
        if (outcome.Code is { } code) return Fail(code, outcome.Detail, outcome.Quota.Remaining);
        if (outcome.IsReplay)
        {
            // The same key again (a double click): the first click's batch, nothing run twice.
            using var doc = JsonDocument.Parse(outcome.StoredJson!);
            var stored = doc.RootElement.TryGetProperty("batch_id", out var id) && id.TryGetInt64(out var value) ? value : (long?)null;
            return new BatchFormOutcome(null, null, stored, outcome.HttpStatus == 202, [], outcome.Quota.Remaining);
        }
        if (outcome.Accepted is { } accepted) return new BatchFormOutcome(null, null, accepted.BatchId, true, [], outcome.Quota.Remaining);
        var response = outcome.Response!;
        return new BatchFormOutcome(null, null, response.BatchId, false, await NamedAsync(response.Results, ct), response.Quota.Remaining);

        static BatchFormOutcome Fail(int code, string? detail = null, int remaining = 0) => new(code, detail, null, false, [], remaining);
    }

    /// <summary>Class and member names of the results: one query each, whatever the number of pairs.</summary>
    private async Task<IReadOnlyList<BatchFormItem>> NamedAsync(IReadOnlyList<BatchItemResult> results, CancellationToken ct)
    {
        var classIds = results.Select(r => r.ClassId).Distinct().ToList();
        var memberIds = results.Select(r => r.MemberId).Distinct().ToList();
        await using var db = await tenantDb.CreateAsync(ct);
        var classNames = await db.Classes.AsNoTracking().Where(c => EF.Parameter(classIds).Contains(c.Id)).ToDictionaryAsync(c => c.Id, c => c.Name, ct);
        var memberNames = await db.Members.AsNoTracking().Where(m => EF.Parameter(memberIds).Contains(m.Id)).ToDictionaryAsync(m => m.Id, m => m.DisplayName, ct);
        return results.Select(r => new BatchFormItem(r.ClassId, classNames.GetValueOrDefault(r.ClassId, $"#{r.ClassId}"), r.MemberId,
            memberNames.GetValueOrDefault(r.MemberId, $"#{r.MemberId}"), r.Status, r.Code)).ToList();
    }

    /// <summary>The status names <see cref="BatchItemResult.Status"/> carries.</summary>
    public static string StatusName(BatchItemStatus status) => BatchExitService.Name(status);
}
