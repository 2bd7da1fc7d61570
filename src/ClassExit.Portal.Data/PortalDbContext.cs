using System.Linq.Expressions;
using ClassExit.Portal.Data.Identity;
using ClassExit.Portal.Domain;
using ClassExit.Portal.Domain.Access;
using ClassExit.Portal.Domain.Audit;
using ClassExit.Portal.Domain.Bulk;
using ClassExit.Portal.Domain.Classes;
using ClassExit.Portal.Domain.Content;
using ClassExit.Portal.Domain.Devices;
using ClassExit.Portal.Domain.Exits;
using ClassExit.Portal.Domain.Members;
using ClassExit.Portal.Domain.Organisations;
using ClassExit.Portal.Domain.Ownership;
using ClassExit.Portal.Domain.Retention;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace ClassExit.Portal.Data;

/// <summary>
/// Identity and the domain in one context. Every tenant-owned row is behind a global query filter on
/// <see cref="TenantId"/>: a context that was given no tenant sees no tenant data at all.
/// </summary>
public sealed class PortalDbContext(DbContextOptions<PortalDbContext> options) : IdentityDbContext<PortalUser>(options), IDataProtectionKeyContext
{
    private long? _tenantId;
    private bool _systemScope;
    private bool _modelFixed;

    /// <summary>The organisation this context is scoped to; null means none (and nothing is visible).</summary>
    public long? TenantId => _tenantId;

    public bool IsSystemScope => _systemScope;

    /// <summary>Scope the context to one organisation. Refused on a context that is already system-scoped and in use.</summary>
    public PortalDbContext ForTenant(long organisationId)
    {
        if (_systemScope && _modelFixed)
            throw new InvalidOperationException("This context was used with system scope (its model has no tenant filter); create a new context for a tenant.");
        _tenantId = organisationId;
        _systemScope = false;
        return this;
    }

    /// <summary>
    /// Cross-tenant access for jobs, seeding and API-key lookup; never for a user's request. Call it on a fresh context, before its
    /// first query: system scope selects the model without tenant filters (ADR 0004), so it cannot be switched on later.
    /// </summary>
    public PortalDbContext ForSystem()
    {
        if (!_systemScope && _modelFixed)
            throw new InvalidOperationException("ForSystem() must be called on a new context before its first use; this one already runs with the tenant-filtered model.");
        _tenantId = null;
        _systemScope = true;
        return this;
    }

    /// <summary>Called by <see cref="PortalModelCacheKeyFactory"/> when the runtime model is chosen: from then on the scope kind is fixed.</summary>
    internal bool FixModelScope(bool designTime)
    {
        if (!designTime) _modelFixed = true;
        return _systemScope;
    }

    public DbSet<Organisation> Organisations => Set<Organisation>();
    /// <summary>Signed-in sessions (not tenant-owned: an account's sessions are looked up by the account, as Identity's tables are).</summary>
    public DbSet<PortalSession> PortalSessions => Set<PortalSession>();
    public DbSet<ReasonCode> ReasonCodes => Set<ReasonCode>();
    public DbSet<Member> Members => Set<Member>();
    public DbSet<Device> Devices => Set<Device>();
    public DbSet<ClassGroup> Classes => Set<ClassGroup>();
    public DbSet<HandoverCompletion> HandoverCompletions => Set<HandoverCompletion>();
    public DbSet<Membership> Memberships => Set<Membership>();
    public DbSet<Assignment> Assignments => Set<Assignment>();
    public DbSet<LiveStream> LiveStreams => Set<LiveStream>();
    public DbSet<ChatMessage> ChatMessages => Set<ChatMessage>();
    public DbSet<MessageReceipt> MessageReceipts => Set<MessageReceipt>();
    public DbSet<Announcement> Announcements => Set<Announcement>();
    public DbSet<HomeworkSubmission> HomeworkSubmissions => Set<HomeworkSubmission>();
    public DbSet<SharedDocument> SharedDocuments => Set<SharedDocument>();
    public DbSet<Poll> Polls => Set<Poll>();
    public DbSet<LiveReplay> LiveReplays => Set<LiveReplay>();
    public DbSet<ReplayGrant> ReplayGrants => Set<ReplayGrant>();
    public DbSet<SignUpEntry> SignUpEntries => Set<SignUpEntry>();
    public DbSet<PrivateFileTransfer> PrivateFileTransfers => Set<PrivateFileTransfer>();
    public DbSet<LegalHold> LegalHolds => Set<LegalHold>();
    public DbSet<ExitRequest> ExitRequests => Set<ExitRequest>();
    public DbSet<ExitNotification> ExitNotifications => Set<ExitNotification>();
    public DbSet<OwnershipTransfer> OwnershipTransfers => Set<OwnershipTransfer>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<AuditChainHead> AuditChainHeads => Set<AuditChainHead>();
    public DbSet<AuditChainVerification> AuditChainVerifications => Set<AuditChainVerification>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<Domain.Webhooks.WebhookEndpoint> WebhookEndpoints => Set<Domain.Webhooks.WebhookEndpoint>();
    public DbSet<Domain.Webhooks.WebhookDelivery> WebhookDeliveries => Set<Domain.Webhooks.WebhookDelivery>();
    public DbSet<BatchExit> BatchExits => Set<BatchExit>();
    public DbSet<BatchExitItem> BatchExitItems => Set<BatchExitItem>();
    public DbSet<QuotaUsage> QuotaUsages => Set<QuotaUsage>();
    public DbSet<QuotaIncreaseRequest> QuotaIncreaseRequests => Set<QuotaIncreaseRequest>();
    public DbSet<IdempotencyRecord> IdempotencyRecords => Set<IdempotencyRecord>();
    public DbSet<MembershipChange> MembershipChanges => Set<MembershipChange>();
    public DbSet<DeviceSyncSample> DeviceSyncSamples => Set<DeviceSyncSample>();
    public DbSet<Domain.Retention.RetentionRun> RetentionRuns => Set<Domain.Retention.RetentionRun>();
    /// <summary>The ASP.NET Core Data Protection key ring every portal instance shares (cookies, antiforgery; ADR 0011). Not tenant-owned.</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<Domain.Notifications.Notification> Notifications => Set<Domain.Notifications.Notification>();
    public DbSet<Domain.Notifications.EmailOutboxMessage> EmailOutbox => Set<Domain.Notifications.EmailOutboxMessage>();
    public DbSet<Domain.Notifications.NotificationPreference> NotificationPreferences => Set<Domain.Notifications.NotificationPreference>();
    public DbSet<Domain.Notifications.ApprovalReminder> ApprovalReminders => Set<Domain.Notifications.ApprovalReminder>();

    /// <summary>
    /// Saving new audit entries seals them in the same transaction (<see cref="AuditSealing"/>): a transaction is begun when the
    /// caller has none, the organisation's chain head is advanced atomically, and a failure gives the reserved links back. The key
    /// comes from the application's <see cref="IAuditKeyRing"/>; a context without one cannot write audit entries at all.
    /// </summary>
    public override int SaveChanges(bool acceptAllChangesOnSuccess) =>
        NewAuditEntries() is { Count: > 0 } added
            ? SaveSealedAsync(added, acceptAllChangesOnSuccess, CancellationToken.None).GetAwaiter().GetResult()
            : base.SaveChanges(acceptAllChangesOnSuccess);

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default) =>
        NewAuditEntries() is { Count: > 0 } added
            ? SaveSealedAsync(added, acceptAllChangesOnSuccess, cancellationToken)
            : base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);

    private List<AuditEntry> NewAuditEntries() =>
        ChangeTracker.Entries<AuditEntry>().Where(e => e.State == EntityState.Added).Select(e => e.Entity).ToList();

    private async Task<int> SaveSealedAsync(List<AuditEntry> added, bool acceptAllChangesOnSuccess, CancellationToken ct)
    {
        var services = this.GetService<IDbContextOptions>().FindExtension<CoreOptionsExtension>()?.ApplicationServiceProvider;
        var keys = services?.GetService(typeof(IAuditKeyRing)) as IAuditKeyRing
            ?? throw new InvalidOperationException("Audit entries are sealed when written: register an IAuditKeyRing in the application's services.");
        var clock = services?.GetService(typeof(TimeProvider)) as TimeProvider ?? TimeProvider.System;
        var key = keys.Current;
        var owned = Database.CurrentTransaction is null ? await Database.BeginTransactionAsync(ct) : null;
        try
        {
            var reservations = await AuditSealing.ReserveAsync(this, added, key, ct);
            int saved;
            try
            {
                saved = await base.SaveChangesAsync(acceptAllChangesOnSuccess, ct);
                await AuditSealing.CompleteAsync(this, reservations, clock.GetUtcNow(), ct);
            }
            catch when (owned is null)
            {
                // The caller's transaction goes on (it may catch and carry on): it must not keep sequences no entry holds.
                try { await AuditSealing.ReleaseAsync(this, reservations); }
                catch (Exception) { /* the transaction is gone with the connection: nothing was reserved */ }
                throw;
            }
            if (owned is not null) await owned.CommitAsync(ct);
            return saved;
        }
        finally
        {
            if (owned is not null) await owned.DisposeAsync();
        }
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite cannot compare or order DateTimeOffset stored as text; store UTC ticks there.
        // SQL Server keeps its native datetimeoffset.
        if (Database.IsSqlite())
        {
            configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcTicksConverter>();
        }
        configurationBuilder.Properties<string>().HaveMaxLength(400);
    }

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(PortalDbContext).Assembly);

        // ADR 0004: two models. A system-scope context (ForSystem) gets a model without tenant filters; every other context gets a
        // plain OrganisationId = @tenant filter, which (OrganisationId, ...) indexes can serve. No "@system OR ..." reaches SQL.
        if (_systemScope) return;
        foreach (var entityType in builder.Model.GetEntityTypes())
        {
            if (typeof(ITenantOwned).IsAssignableFrom(entityType.ClrType) && !entityType.IsOwned())
            {
                var method = typeof(PortalDbContext).GetMethod(nameof(TenantFilter), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
                    .MakeGenericMethod(entityType.ClrType);
                builder.Entity(entityType.ClrType).HasQueryFilter((LambdaExpression)method.Invoke(this, null)!);
            }
        }
        // A context without a tenant: OrganisationId = NULL matches no row (EF turns it into a false predicate).
        builder.Entity<Organisation>().HasQueryFilter(o => o.Id == _tenantId);
        // Entries of no organisation (a platform operator's sign-in, an unknown e-mail) are no tenant's: a context without a tenant
        // would otherwise match them (null == null). With a tenant EF drops the "@tenant IS NOT NULL" part (it knows the value).
        builder.Entity<AuditEntry>().HasQueryFilter(a => _tenantId != null && a.OrganisationId == _tenantId);
    }

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) =>
        optionsBuilder.ReplaceService<IModelCacheKeyFactory, PortalModelCacheKeyFactory>();

    private Expression<Func<T, bool>> TenantFilter<T>() where T : class, ITenantOwned =>
        e => e.OrganisationId == _tenantId;

    private sealed class UtcTicksConverter() : ValueConverter<DateTimeOffset, long>(
        v => v.UtcTicks,
        v => new DateTimeOffset(v, TimeSpan.Zero));
}

/// <summary>One model per scope kind (tenant-filtered, system): the scope is part of the model's cache key (ADR 0004).</summary>
internal sealed class PortalModelCacheKeyFactory : IModelCacheKeyFactory
{
    public object Create(DbContext context, bool designTime) =>
        context is PortalDbContext portal ? (context.GetType(), portal.FixModelScope(designTime), designTime) : (context.GetType(), false, designTime);
}
