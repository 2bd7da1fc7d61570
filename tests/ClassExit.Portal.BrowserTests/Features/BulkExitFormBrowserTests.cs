using Microsoft.Data.Sqlite;
using Microsoft.Playwright;

namespace ClassExit.Portal.BrowserTests.Features;

/// <summary>Issue 18: HR starts a bulk exit in the browser: a CSV of employee numbers, a dry run with per-item outcomes, then the batch.</summary>
[Collection(BrowserCollection.Name)]
public class BulkExitFormBrowserTests(BrowserFixture fixture)
{
    private const string ClassName = "数学建模兴趣班";

    [Fact]
    public async Task Hr_UploadsCsv_DryRunListsEachPair_RunOpensBatchWithProgress()
    {
        // Two active students of the class (by employee number, as an HR export would list them), one unknown number, one repeated.
        var students = await StudentNumbersAsync(2);
        Assert.Equal(2, students.Count);
        var csv = $"employee_no\n{students[0]}\nNOPE-404\n{students[1]}\n{students[0]}\n";
        await fixture.RunAsAsync("hr@school.demo", "bulk-exit-form", async page =>
        {
            await page.GotoAsync("/batches");
            await BrowserFixture.WaitForInteractiveAsync(page);
            await page.GetByTestId("new-batch").ClickAsync();
            await page.WaitForURLAsync(url => url.EndsWith("/batches/new", StringComparison.Ordinal));
            await BrowserFixture.WaitForInteractiveAsync(page);

            // The class by name (server-side search), never by id.
            var picker = page.Locator("input[data-testid=batch-class-picker], [data-testid=batch-class-picker] input").First;
            await picker.FillAsync("数学建模");
            await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = ClassName }).First.ClickAsync();
            await Assertions.Expect(page.GetByTestId("batch-classes")).ToContainTextAsync(ClassName);

            await page.Locator("[data-testid=batch-csv] input[type=file], input[type=file]").First.SetInputFilesAsync(new FilePayload
            {
                Name = "leavers.csv", MimeType = "text/csv", Buffer = System.Text.Encoding.UTF8.GetBytes(csv),
            });
            await Assertions.Expect(page.GetByTestId("batch-csv-summary")).ToContainTextAsync("找到 2 名成员，2 行未采用");
            var lineErrors = page.GetByTestId("batch-csv-line-errors");
            await Assertions.Expect(lineErrors.Locator("tbody tr")).ToHaveCountAsync(2);
            await Assertions.Expect(lineErrors.Locator("tbody tr").Nth(0)).ToContainTextAsync("3");
            await Assertions.Expect(lineErrors.Locator("tbody tr").Nth(0)).ToContainTextAsync("NOPE-404");
            await Assertions.Expect(lineErrors.Locator("tbody tr").Nth(1)).ToContainTextAsync("已在前面的行中列出");

            // Without a reason code the dry run is refused at the field.
            await page.GetByTestId("batch-dry-run").ClickAsync();
            await Assertions.Expect(page.Locator(".mud-input-helper-text.mud-input-error, .mud-input-error").First).ToBeVisibleAsync();
            await page.GetByTestId("batch-reason").ClickAsync();
            await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = "200002" }).First.ClickAsync();

            await page.GetByTestId("batch-dry-run").ClickAsync();
            var result = page.GetByTestId("batch-dry-result");
            await Assertions.Expect(page.GetByTestId("batch-dry-summary")).ToContainTextAsync("2 人将退出");
            var items = page.GetByTestId("batch-dry-items").Locator("tbody tr");
            await Assertions.Expect(items).ToHaveCountAsync(2);
            await Assertions.Expect(page.GetByTestId("batch-dry-items")).ToContainTextAsync(ClassName);
            // A dry run changes nothing.
            Assert.Equal(2, (await StudentNumbersAsync(10)).Intersect(students).Count());

            await result.GetByTestId("batch-run").ClickAsync();
            // The confirmation says how many leave; a double click on its button runs the batch once.
            await page.Locator(".mud-dialog .mud-dialog-actions button").Last.DblClickAsync();
            await page.WaitForURLAsync(url => System.Text.RegularExpressions.Regex.IsMatch(url, "/batches/\\d+$"));
            await BrowserFixture.WaitForInteractiveAsync(page);
            await Assertions.Expect(page.GetByTestId("batch-progress-text")).ToContainTextAsync("2 / 2");
            await Assertions.Expect(page.GetByTestId("batch-items").Locator("tbody tr")).ToHaveCountAsync(2);
            Assert.Empty((await StudentNumbersAsync(10)).Intersect(students));
            Assert.Equal(1, await BatchesWithAsync(students));
        });
    }

    /// <summary>Employee numbers of active students of the class, read from the portal's own database file.</summary>
    private async Task<List<string>> StudentNumbersAsync(int count)
    {
        await using var connection = new SqliteConnection($"Data Source={fixture.Server.DatabasePath};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        var command = connection.CreateCommand();
        command.CommandText = """
            SELECT m.EmployeeNo FROM Memberships ms JOIN Members m ON m.Id = ms.MemberId JOIN Classes c ON c.Id = ms.ClassId
            WHERE c.Name = $name AND ms.Role = 0 AND ms.State = 0 ORDER BY m.EmployeeNo DESC LIMIT $count
            """;
        command.Parameters.AddWithValue("$name", ClassName);
        command.Parameters.AddWithValue("$count", count);
        var numbers = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) numbers.Add(reader.GetString(0));
        return numbers;
    }

    /// <summary>How many batches removed these members (a double click must not have made two).</summary>
    private async Task<long> BatchesWithAsync(IReadOnlyList<string> employeeNos)
    {
        await using var connection = new SqliteConnection($"Data Source={fixture.Server.DatabasePath};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        var command = connection.CreateCommand();
        command.CommandText = """
            SELECT COUNT(DISTINCT i.BatchExitId) FROM BatchExitItems i JOIN Members m ON m.Id = i.MemberId
            WHERE m.EmployeeNo IN ($a, $b) AND i.Status = 0
            """;
        command.Parameters.AddWithValue("$a", employeeNos[0]);
        command.Parameters.AddWithValue("$b", employeeNos[1]);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
