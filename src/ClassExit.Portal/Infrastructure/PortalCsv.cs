using CsvHelper;

namespace ClassExit.Portal.Infrastructure;

/// <summary>
/// The one configuration of every CSV the portal writes (audit export, message export): RFC 4180, UTF-8 with a byte order mark so
/// that Excel in zh-CN reads the Chinese text right, and CSV-injection protection (CWE-1236, ASVS 5.0 1.2.10): a text field that starts
/// with <c>= + - @</c>, tab or CR gets a leading <c>'</c> and quotes, so a spreadsheet shows it as text instead of running it as a
/// formula. Numbers (ids, sequences, codes) are written as numbers and never escaped: <c>-5</c> stays the number −5, while the text
/// <c>-5</c> in a name or message body reads <c>'-5</c>.
/// </summary>
public static class PortalCsv
{
    public static readonly CsvWriterOptions Options = CsvWriterOptions.Default with { Injection = CsvInjection.Escape, WriteByteOrderMark = true };

    /// <summary>A writer on <paramref name="output"/> with <see cref="Options"/>; the caller owns the stream.</summary>
    public static CsvWriter Create(Stream output) => CsvWriter.Create(output, Options, leaveOpen: true);
}

/// <summary>A write-only pass-through that counts the bytes written (for the export audit entries).</summary>
public sealed class CountingStream(Stream inner) : Stream
{
    public long BytesWritten { get; private set; }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => BytesWritten; set => throw new NotSupportedException(); }

    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        inner.Write(buffer);
        BytesWritten += buffer.Length;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(buffer, cancellationToken);
        BytesWritten += buffer.Length;
    }
}
