// `ig-push validate`: check delivery files against the bundled spec, offline, naming each problem's path.
import type { Command } from 'commander';
import { createDeliveryValidator } from './delivery-validator.js';
import { COMMAND_EXIT_CODES, EXIT, exitCodesHelp } from './exit-codes.js';
import { readInputs } from './input.js';
import { jsonOption } from './options.js';
import { mark, printJsonLine, printLine } from './output.js';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('validate delivery files (- for standard input) against the spec bundled with this package, offline')
    .argument('<file...>', 'JSON delivery files, or - for standard input')
    .addOption(jsonOption())
    .addHelpText('after', exitCodesHelp(COMMAND_EXIT_CODES.validate, []))
    .action(async (names: string[], options: { json?: boolean }) => {
      const inputs = await readInputs(names);
      const check = createDeliveryValidator();
      let invalid = 0;
      for (const { name, bytes } of inputs) {
        const problems = check(bytes);
        if (problems.length) invalid++;
        if (options.json) printJsonLine({ file: name, valid: problems.length === 0, problems });
        else if (!problems.length) printLine(`${mark('ok')} ${name}`);
        // One line per problem, `file path: message`, so the output greps like a compiler's.
        else for (const p of problems) printLine(`${mark('fail')} ${name} ${p.path || '(root)'}: ${p.message}`);
      }
      if (inputs.length > 1) {
        const summary = { files: inputs.length, valid: inputs.length - invalid, invalid };
        if (options.json) printJsonLine({ summary });
        else printLine(`${summary.valid}/${summary.files} valid, ${invalid} invalid`);
      }
      process.exitCode = invalid ? EXIT.rejected : EXIT.ok;
    });
}
