import { filterFlag, filtersJson, formatFlag, list, bool, noTruncFlag, quietFlag, str, type Command } from '../command.js';
import { formatList } from '../format/formatter.js';
import { imageRows, type ImageSummary } from '../render/contexts.js';

const TABLE = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
const TABLE_DIGESTS = 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';

const cmd: Command = {
  usage: '[OPTIONS] [REPOSITORY[:TAG]]',
  summary: 'List images',
  aliases: ['hako image ls', 'hako image list', 'hako images'],
  flags: [
    { name: 'all', short: 'a', type: 'bool', desc: 'Show all images (default hides intermediate images)' },
    { name: 'digests', type: 'bool', desc: 'Show digests' },
    filterFlag,
    formatFlag,
    noTruncFlag,
    quietFlag('image IDs', 'show'),
  ],
  maxArgs: 1,
  async run(ctx, args, f) {
    const filters = list(f, 'filter');
    if (args[0]) filters.push(`reference=${args[0]}`);
    const images: ImageSummary[] = await ctx.client.get('/images/json', {
      all: bool(f, 'all') ? 1 : undefined,
      digests: bool(f, 'digests') ? 1 : undefined,
      filters: filtersJson(filters),
    });
    const rows = imageRows(images, { digests: bool(f, 'digests'), trunc: !bool(f, 'no-trunc') });
    ctx.out.write(
      formatList(rows, {
        format: str(f, 'format'),
        table: bool(f, 'digests') ? TABLE_DIGESTS : TABLE,
        isQuiet: bool(f, 'quiet'),
        quiet: '{{.ID}}',
        headers: { ID: 'IMAGE ID' },
      }),
    );
  },
};
export default cmd;
