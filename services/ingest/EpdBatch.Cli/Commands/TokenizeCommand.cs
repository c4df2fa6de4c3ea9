using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using EpdBatch.Text;

namespace EpdBatch.Cli.Commands;

/// <summary><c>epd tokenize</c>: encode text or decode ids with a model's tokenizer.json.</summary>
internal static class TokenizeCommand
{
    public static Command Create()
    {
        var tokenizer = new Option<string>("--tokenizer") { Description = "tokenizer.json, or a model folder holding one", Required = true };
        var text = new Option<string?>("--text") { Description = "Text to encode; special tokens written in it (e.g. <|im_start|>) are recognised" };
        var ids = new Option<string?>("--ids") { Description = "Comma-separated ids to decode, e.g. \"1,2,3\"" };
        var addSpecial = new Option<bool>("--add-special-tokens") { Description = "Apply the tokenizer's post-processor (e.g. a BOS token) when encoding" };
        var verbose = CommonOptions.Verbose();
        var command = new Command("tokenize", "Encode text to ids, or decode ids to text, with a Hugging Face tokenizer.json") { tokenizer, text, ids, addSpecial, verbose };
        command.SetAction(parse =>
        {
            try
            {
                var textValue = parse.GetValue(text);
                var idsValue = parse.GetValue(ids);
                if (textValue is null == idsValue is null)
                {
                    throw new ArgumentException("give exactly one of --text and --ids");
                }
                var loaded = Tokenizer.Load(parse.GetValue(tokenizer)!);
                var output = textValue is not null
                    ? new JsonObject { ["ids"] = JsonSerializer.SerializeToNode(loaded.Encode(textValue, parse.GetValue(addSpecial))) }
                    : new JsonObject { ["text"] = loaded.Decode(CommonOptions.ParseIds(idsValue!, "--ids")) };
                Console.Out.WriteLine(output.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
                return ExitCodes.Ok;
            }
            catch (Exception e)
            {
                return CliErrors.Report(e, parse.GetValue(verbose));
            }
        });
        return command;
    }
}
