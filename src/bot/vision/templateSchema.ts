/**
 * Zod schemas of the template registry files (`templates/*.yaml`) and of inline templates in routines.
 * Plain shapes only (no transforms), so `z.toJSONSchema` gives the editor schema in both input and output mode;
 * `templateLoader.ts` applies the defaults and normalises sizes.
 */
import { z } from 'zod';

/** Default values of every template option; a file's `defaults:` and each entry override them. */
export const TEMPLATE_DEFAULTS = {
  threshold: 0.8,
  referenceSize: { width: 540, height: 960 },
  mode: 'gray' as const,
  mask: false,
  maxCount: 10,
  nmsIou: 0.3,
  preload: false,
  colorTolerance: 16,
};

const nonNegInt = z.number().int().min(0);
const posInt = z.number().int().min(1);

export const rectSchema = z
  .strictObject({
    x: nonNegInt.describe('Left edge, pixels at the reference resolution.'),
    y: nonNegInt.describe('Top edge, pixels at the reference resolution.'),
    w: posInt.describe('Width in pixels.'),
    h: posInt.describe('Height in pixels.'),
  })
  .meta({
    description: 'A rectangle at the reference resolution: top-left corner plus width and height.',
    defaultSnippets: [{ label: 'region', body: { x: 0, y: 0, w: 100, h: 100 } }],
  });

export const pointSchema = z
  .strictObject({
    x: nonNegInt.describe('Pixels from the left, at the reference resolution.'),
    y: nonNegInt.describe('Pixels from the top, at the reference resolution.'),
  })
  .meta({ description: 'A point at the reference resolution.' });

export const sizeSchema = z
  .union([
    z.string().regex(/^[1-9]\d{0,4}x[1-9]\d{0,4}$/, { error: "expected a size like '540x960'" }),
    z.strictObject({ width: posInt, height: posInt }),
  ])
  .meta({
    description: "Resolution the images and regions were authored at: 'WIDTHxHEIGHT' (for example '540x960') or {width, height}.",
    markdownDescription:
      "Resolution the images and regions were authored at, `WIDTHxHEIGHT` (for example `540x960`). On a device of another size, templates and regions are scaled automatically.",
    defaultSnippets: [{ label: '540x960', body: '540x960' }],
  });

export const scaleRangeSchema = z
  .strictObject({
    min: z.number().gt(0).max(10).describe('Smallest scale tried, for example 0.9.'),
    max: z.number().gt(0).max(10).describe('Largest scale tried, for example 1.1.'),
    step: z.number().gt(0).max(10).describe('Step between scales, for example 0.05.'),
  })
  .refine((s) => s.min <= s.max, { error: 'scales.min must not exceed scales.max' })
  .refine((s) => (s.max - s.min) / s.step <= 40, { error: 'scales: at most 41 scales may be tried (raise step)' })
  .meta({
    description: 'Multi-scale search: the template is resized to each scale in the range and the best match is kept.',
    markdownDescription:
      'Multi-scale search: the template is resized to each scale from `min` to `max` by `step` (on top of the automatic reference-to-device scaling) and the best match is kept. Costs one match per scale.',
    defaultSnippets: [{ label: '0.9 to 1.1', body: { min: 0.9, max: 1.1, step: 0.05 } }],
  });

const thresholdSchema = z
  .number()
  .min(0)
  .max(1)
  .meta({
    description: `Minimum normalised correlation (0-1) for a match. Default ${TEMPLATE_DEFAULTS.threshold}.`,
    markdownDescription: `Minimum normalised correlation score (\`TM_CCOEFF_NORMED\`, 0-1) for a match. Default \`${TEMPLATE_DEFAULTS.threshold}\`.`,
  });

const modeSchema = z.enum(['gray', 'color']).meta({
  description: "'gray' (default, fastest) matches luminance; 'color' matches RGB, for templates that differ only by colour.",
});

const optionShape = {
  threshold: thresholdSchema.optional(),
  region: rectSchema
    .optional()
    .describe('Search region at the reference resolution; the whole frame when absent. Matching crops to it first (much faster).'),
  referenceSize: sizeSchema.optional(),
  mode: modeSchema.optional(),
  mask: z.boolean().optional().describe("Use the image's alpha channel as a mask: transparent pixels are ignored."),
  scales: scaleRangeSchema.optional(),
  maxCount: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .optional()
    .describe(`Maximum number of matches returned when all matches are asked for. Default ${TEMPLATE_DEFAULTS.maxCount}.`),
  nmsIou: z
    .number()
    .min(0)
    .max(1)
    .optional()
    .describe(`Non-maximum suppression: two matches overlapping more than this (intersection over union) are one. Default ${TEMPLATE_DEFAULTS.nmsIou}.`),
  preload: z.boolean().optional().describe('Decode the image when the registry loads instead of on first use.'),
};

const imageSchema = z
  .string()
  .min(1)
  .meta({
    description: 'PNG image, relative to the workspace root (for example templates/home/packs.png). Paths leaving the workspace are refused.',
    markdownDescription: 'PNG image, relative to the **workspace root** (for example `templates/home/packs.png`). Paths leaving the workspace are refused.',
  });

export const templateNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$/, { error: 'a template name uses letters, digits and _ . - / (for example home.packsButton)' })
  .describe('Unique name routines use to refer to the template, for example home.packsButton.');

export const templateEntrySchema = z
  .strictObject({
    name: templateNameSchema,
    image: imageSchema,
    description: z.string().optional().describe('Free text shown in tooltips.'),
    ...optionShape,
  })
  .meta({
    description: 'One template: a name, an image and matching options.',
    defaultSnippets: [
      {
        label: 'template',
        body: { name: '${1:screen.element}', image: 'templates/${2:screen/element}.png', threshold: 0.9, region: { x: 0, y: 0, w: 540, h: 960 } },
      },
    ],
  });

export const colorEntrySchema = z
  .strictObject({
    name: templateNameSchema,
    color: z.string().regex(/^#[0-9a-fA-F]{6}$/, { error: "expected a colour like '#1e88e5'" }).describe('Expected colour, #rrggbb.'),
    tolerance: z
      .number()
      .int()
      .min(0)
      .max(255)
      .optional()
      .describe(`Largest per-channel difference (0-255) still accepted. Default ${TEMPLATE_DEFAULTS.colorTolerance}.`),
    at: z.union([pointSchema, rectSchema]).describe('A point {x, y}, or an area {x, y, w, h} whose mean colour is compared.'),
    referenceSize: sizeSchema.optional(),
    description: z.string().optional().describe('Free text shown in tooltips.'),
  })
  .meta({
    description: 'A named colour check: the pixel or the mean colour of an area, within a tolerance.',
    defaultSnippets: [{ label: 'color check', body: { name: '${1:screen.color}', color: '#${2:ffffff}', tolerance: 16, at: { x: 0, y: 0 } } }],
  });

export const templateFileSchema = z
  .strictObject({
    referenceSize: sizeSchema.optional(),
    defaults: z
      .strictObject(optionShape)
      .optional()
      .describe('Options applied to every template of this file unless the template sets its own.'),
    templates: z.array(templateEntrySchema).optional().describe('The templates this file defines.'),
    colors: z.array(colorEntrySchema).optional().describe('Named colour checks this file defines.'),
  })
  .meta({
    title: 'Emulator Fleet template registry file',
    description: 'templates/*.yaml: named templates (images with matching options) and colour checks.',
    markdownDescription:
      'A template registry file (`templates/*.yaml`): named templates (images with matching options) and colour checks, used by routines by name.',
  });

export type TemplateEntryInput = z.input<typeof templateEntrySchema>;
export type SizeInput = z.input<typeof sizeSchema>;
