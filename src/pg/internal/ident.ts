/** A PostgreSQL identifier (a schema name, say) quoted for SQL text: `my"schema` → `"my""schema"`. */
export const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`
