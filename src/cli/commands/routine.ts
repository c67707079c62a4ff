// Placeholder until its issue lands.
export async function main(_args: string[]): Promise<number> {
  console.error('emulator-fleet: this command is not implemented yet');
  return 1;
}
