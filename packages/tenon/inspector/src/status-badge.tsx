/** A small colored label for a status (`awake`, `sleeping`, `hibernated`, ...). */
export function StatusBadge({ status, label }: { status: string; label?: string }) {
	return (
		<span className="badge" data-status={status}>
			{label ?? status}
		</span>
	);
}
